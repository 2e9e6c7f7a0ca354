<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * The module's release version, read from its info file.
 *
 * The repository's info file has no version: "make dist" appends one to the
 * copy in the release tarball (as Drupal.org's packager does), from
 * Cargo.toml, the same source as the library's entra_version(). So the
 * status report can tell a module and a library of different releases
 * apart, without Drupal's extension list (this runs under plain PHPUnit).
 */
final class ModuleVersion {

  /**
   * Static only.
   */
  private function __construct() {
  }

  /**
   * The version line of an info file, or null (no file, no version line).
   */
  public static function fromInfoFile(string $path): ?string {
    if (!is_file($path) || !is_readable($path)) {
      return NULL;
    }
    $yaml = file_get_contents($path);

    return is_string($yaml) ? self::parse($yaml) : NULL;
  }

  /**
   * The top-level "version:" value of info YAML (quoted or not), or null.
   */
  public static function parse(string $yaml): ?string {
    if (preg_match('/^version:[ \t]*([\'"]?)([^\'"\s#]+)\1[ \t]*(?:#.*)?$/m', $yaml, $match) !== 1) {
      return NULL;
    }

    return $match[2];
  }

}
