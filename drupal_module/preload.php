<?php

/**
 * @file
 * opcache.preload script for the Entra provisioning FFI binding.
 *
 * Only defines classes: no FFI call, no output, no other side effect. Use it
 * with ffi.preload=<header rendered by scripts/render-preload-header.php>, so
 * that the binding (FfiLoader, EntraNative) may call
 * FFI::scope('ENTRA_PROVISIONING') under FPM/Apache with the default
 * ffi.enable=preload:
 *
 *   opcache.preload=/path/to/drupal_module/preload.php
 *   opcache.preload_user=www-data
 *   ffi.preload=/path/to/entra_provisioning.preload.h
 *
 * Loading the library in the preload script itself (FFI::load) would run
 * in the FPM master; ffi.preload does it the supported way.
 */

declare(strict_types=1);

(static function (): void {
  $dir = __DIR__ . '/src/Native/';
  // Parents before children so every class links at preload time.
  foreach ([
    'Status.php',
    'NativeClientInterface.php',
    'Exception/EntraException.php',
    'Exception/NativeUnavailableException.php',
    'Exception/InvalidArgumentException.php',
    'Exception/ConfigException.php',
    'Exception/AuthException.php',
    'Exception/PermissionException.php',
    'Exception/ValidationException.php',
    'Exception/ConflictException.php',
    'Exception/NotFoundException.php',
    'Exception/ThrottledException.php',
    'Exception/TransientException.php',
    'Exception/GraphException.php',
    'Exception/NativePanicException.php',
    'PreloadHeader.php',
    'FfiLoader.php',
    'JsonCodec.php',
    'EntraNative.php',
  ] as $file) {
    require_once $dir . $file;
  }
})();
