<?php

/**
 * @file
 * Writes the ffi.preload variant of the committed header: FFI_SCOPE and an
 * absolute FFI_LIB as the first two lines, then include/entra_provisioning.h.
 *
 *   php scripts/render-preload-header.php --library=/abs/libentra_provisioning.so \
 *       [--header=include/entra_provisioning.h] [--output=/etc/php/entra_provisioning.preload.h]
 *
 * Then, for php-fpm / Apache (with the default ffi.enable=preload):
 *   ffi.preload=/etc/php/entra_provisioning.preload.h
 *   opcache.preload=/path/to/drupal_module/preload.php
 *   opcache.preload_user=www-data
 * Without --output the header is printed on stdout.
 */

declare(strict_types=1);

use Drupal\entra_provisioning\Native\FfiLoader;
use Drupal\entra_provisioning\Native\PreloadHeader;

// From the repository (scripts/ beside drupal_module/) or from a release's module folder
// (which ships this script in its own scripts/).
require_once is_file(dirname(__DIR__) . '/preload.php') ? dirname(__DIR__) . '/preload.php' : dirname(__DIR__) . '/drupal_module/preload.php';

$options = getopt('', ['library:', 'header:', 'output:', 'help']);
if (isset($options['help'])) {
    fwrite(STDOUT, "usage: php scripts/render-preload-header.php --library=PATH [--header=PATH] [--output=PATH]\n");
    exit(0);
}
$library = is_string($options['library'] ?? null) ? $options['library'] : FfiLoader::defaultLibraryPath();
$header = is_string($options['header'] ?? null) ? $options['header'] : FfiLoader::defaultHeaderPath();
try {
    if (!is_file($library)) {
        throw new RuntimeException(sprintf('The library %s does not exist (pass --library=PATH).', $library));
    }
    if (isset($options['output']) && is_string($options['output'])) {
        PreloadHeader::write($header, $library, $options['output']);
        fwrite(STDERR, sprintf("Wrote %s (FFI_LIB %s)\n", $options['output'], (string) realpath($library)));
    } else {
        fwrite(STDOUT, PreloadHeader::renderFile($header, $library));
    }
} catch (Throwable $e) {
    fwrite(STDERR, 'render-preload-header: ' . $e->getMessage() . "\n");
    exit(1);
}
