<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Native\Exception;

/**
 * ENTRA_STATUS_PANIC: the library caught a Rust panic at the FFI boundary; the PHP process is unharmed.
 */
final class NativePanicException extends EntraException {
}
