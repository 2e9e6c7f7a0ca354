<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Native\Exception;

/**
 * ENTRA_STATUS_VALIDATION: Graph or the local mapping rejected a user attribute; field() names it.
 */
final class ValidationException extends EntraException {
}
