<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Native\Exception;

/**
 * ENTRA_STATUS_CONFIG: the client configuration is invalid; field() names the offending setting.
 */
final class ConfigException extends EntraException {
}
