<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Native\Exception;

/**
 * ENTRA_STATUS_TRANSIENT: network failure, timeout or 5xx after the library's retries.
 */
final class TransientException extends EntraException {
}
