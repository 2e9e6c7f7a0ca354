<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Native\Exception;

/**
 * The native library cannot be used in this process.
 *
 * Thrown when ext-ffi is missing, ffi.enable forbids FFI for this SAPI, the
 * library or header file is missing or unloadable, or the library's ABI
 * version differs from the binding's. The message says what to fix.
 */
final class NativeUnavailableException extends EntraException {

  public function __construct(string $message, ?\Throwable $previous = NULL, string $operation = 'load') {
    parent::__construct($message, 'unavailable', -1, [], $operation, $previous);
  }

}
