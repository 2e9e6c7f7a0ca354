<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Native\Exception;

/**
 * ENTRA_STATUS_THROTTLED: Graph kept answering 429 after the library's retries; see retryAfterSeconds().
 */
final class ThrottledException extends EntraException {
}
