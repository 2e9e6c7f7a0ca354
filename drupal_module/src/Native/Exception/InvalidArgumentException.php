<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Native\Exception;

/**
 * ENTRA_STATUS_INVALID_ARGUMENT: the request given to the library was malformed (bad JSON, wrong types, NULL).
 */
final class InvalidArgumentException extends EntraException {
}
