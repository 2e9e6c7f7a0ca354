<?php

/**
 * @file
 * PHPUnit bootstrap: a PSR-4 autoloader for the module and its tests
 * (no Composer, no Drupal).
 */

declare(strict_types=1);

spl_autoload_register(static function (string $class): void {
  static $prefixes = NULL;
  if ($prefixes === NULL) {
    $module = dirname(__DIR__);
    $prefixes = [
      'Drupal\\Tests\\entra_provisioning\\' => $module . '/tests/src/',
      'Drupal\\entra_provisioning\\' => $module . '/src/',
    ];
  }
  foreach ($prefixes as $prefix => $dir) {
    if (strncmp($class, $prefix, strlen($prefix)) === 0) {
      $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
      if (is_file($file)) {
        require $file;
      }

      return;
    }
  }
});

// PSR-3 (the module's services log through Psr\Log), for every test: a test
// must not depend on another having loaded it first.
require_once __DIR__ . '/bootstrap-psr.php';

// Core's interfaces the module's Drupal-free classes use (TimeInterface), and
// the few core classes the hook classes need, when Drupal is absent.
require_once __DIR__ . '/src/Support/drupal-stubs.php';
