<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Native\Exception;

/**
 * ENTRA_STATUS_CONFLICT: the object conflicts with an existing one (HTTP 409 or a duplicate value).
 */
final class ConflictException extends EntraException {
}
