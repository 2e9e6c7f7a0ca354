<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Native\Exception;

/**
 * ENTRA_STATUS_NOT_FOUND: the Entra object does not exist (HTTP 404).
 */
final class NotFoundException extends EntraException {
}
