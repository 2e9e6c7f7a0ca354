<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Native;

/**
 * Renders the ffi.preload variant of the committed header.
 *
 * FFI::load() (and so ffi.preload) honours "#define FFI_SCOPE" and
 * "#define FFI_LIB" only as the very first lines, and hands FFI_LIB to dlopen
 * unchanged, so the library path must be absolute. The committed header
 * follows unmodified. No \FFI call here.
 */
final class PreloadHeader {

  private function __construct() {
  }

  /**
   * @param string $header
   *   The contents of the committed include/entra_provisioning.h.
   * @param string $library
   *   Absolute path of libentra_provisioning.so.
   */
  public static function render(string $header, string $library): string {
    if (!self::isAbsolute($library)) {
      throw new \InvalidArgumentException(sprintf('FFI_LIB must be an absolute path (dlopen resolves a relative one against the process cwd), got "%s".', $library));
    }
    if (preg_match('/["\\\\\x00-\x1f]/', $library) === 1) {
      throw new \InvalidArgumentException('The library path must not contain quotes, backslashes or control characters.');
    }
    if (strncmp($header, "\xEF\xBB\xBF", 3) === 0) {
      $header = substr($header, 3);
    }
    if (preg_match('/^\s*#\s*define\s+FFI_(SCOPE|LIB)\b/m', $header) === 1) {
      throw new \InvalidArgumentException('The header already defines FFI_SCOPE/FFI_LIB; pass the committed header, not a rendered one.');
    }

    return '#define FFI_SCOPE "' . FfiLoader::SCOPE . "\"\n"
      . '#define FFI_LIB "' . $library . "\"\n"
      . $header;
  }

  /**
   * Reads the header file and renders it (the library path is resolved
   * with realpath() when it exists).
   */
  public static function renderFile(string $headerPath, string $libraryPath): string {
    $header = is_file($headerPath) ? file_get_contents($headerPath) : FALSE;
    if ($header === FALSE) {
      throw new \RuntimeException(sprintf('Cannot read the C header %s.', $headerPath));
    }
    $real = realpath($libraryPath);

    return self::render($header, $real !== FALSE ? $real : $libraryPath);
  }

  /**
   * Renders into $target (written atomically).
   */
  public static function write(string $headerPath, string $libraryPath, string $target): void {
    $contents = self::renderFile($headerPath, $libraryPath);
    $tmp = $target . '.tmp' . getmypid();
    if (file_put_contents($tmp, $contents) === FALSE || !rename($tmp, $target)) {
      @unlink($tmp);
      throw new \RuntimeException(sprintf('Cannot write the preload header %s.', $target));
    }
  }

  private static function isAbsolute(string $path): bool {
    return $path !== '' && ($path[0] === '/' || preg_match('/^[A-Za-z]:[\\\\\/]/', $path) === 1);
  }

}
