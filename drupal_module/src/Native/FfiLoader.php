<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Native;

use Drupal\entra_provisioning\Native\Exception\NativeUnavailableException;

/**
 * Finds, loads and checks libentra_provisioning through PHP FFI.
 *
 * Three ways to load, chosen automatically (see environment()):
 *  - "preload": FFI::scope('ENTRA_PROVISIONING'), set up by
 *    ffi.preload=<PreloadHeader::render() output> and
 *    opcache.preload=drupal_module/preload.php. Works under FPM/Apache with
 *    the default ffi.enable=preload.
 *  - "cdef": FFI::cdef(<committed header>, <library>), allowed when
 *    ffi.enable=1, or ffi.enable=preload on the CLI (Drush), or when the
 *    binding classes themselves were preloaded.
 *  - "none": NativeUnavailableException saying what to change.
 *
 * With ffi.enable=preload, PHP allows the FFI API only to functions that
 * opcache.preload loaded, so every \FFI call stays in the methods of this
 * class and of EntraNative (no closures, no helpers elsewhere), and
 * preload.php loads both.
 *
 * Dependency-free and Drupal-free on purpose, so opcache.preload can load it;
 * it needs only the exception it throws.
 */
final class FfiLoader {

  /**
   * The C ABI version this binding was written for (entra_abi_version()).
   *
   * 2: added entra_import_delta. 3: entra_link_user, entra_decide, budget_ms,
   * and a taken UPN is a conflict naming the existing account. 4:
   * entra_describe, "status" and "title" in every error, sync_status, the
   * user_update and mapped_fields questions, already_deleted from disable
   * and enable. 5: entra_check_certificate. 6: entra_groups,
   * entra_group_membership, the group questions of entra_decide, "groups" in
   * entra_import_delta, "features" in the connection test and entra_describe
   * (docs/groups.md).
   */
  public const ABI_VERSION = 6;

  /**
   * The FFI scope name the preload header declares.
   */
  public const SCOPE = 'ENTRA_PROVISIONING';

  public const MODE_PRELOAD = 'preload';
  public const MODE_CDEF = 'cdef';
  public const MODE_NONE = 'none';

  public const HEADER_FILE = 'entra_provisioning.h';

  public const LIBRARY_FILE = 'libentra_provisioning.so';

  /**
   * php_uname('m') => the architecture a release ships a library for.
   *
   * A release holds lib/linux-<architecture>/LIBRARY_FILE for each; some
   * systems (macOS, FreeBSD, some ARM kernels) say arm64 or amd64.
   */
  public const MACHINES = [
    'x86_64' => 'x86_64',
    'amd64' => 'x86_64',
    'aarch64' => 'aarch64',
    'arm64' => 'aarch64',
  ];

  /**
   * ELF e_machine => architecture, to say what a library file is built for.
   */
  private const ELF_MACHINES = [0x3E => 'x86_64', 0xB7 => 'aarch64', 0x03 => 'i386', 0x28 => 'arm'];

  private const FIX = 'set ffi.enable=1 for this SAPI, or use the preload setup '
    . '(ffi.preload=<preload header> + opcache.preload=drupal_module/preload.php): see README';

  /**
   * The classes that call the FFI API: under ffi.enable=preload, cdef is
   * allowed only when opcache.preload loaded all of them. (::class names
   * are resolved at compile time: no autoloading, no dependency.)
   */
  private const FFI_API_CLASSES = [self::class, EntraNative::class];

  /**
   * Loaded FFI instances, per mode/library/header, shared by all clients.
   *
   * @var array<string, \FFI>
   */
  private static array $loaded = [];

  /**
   * Static only: the loaded libraries are per process, not per object.
   */
  private function __construct() {
  }

  /**
   * Whether ext-ffi is loaded in this PHP (the first condition of any mode).
   */
  public static function extensionLoaded(): bool {
    return extension_loaded('ffi') && class_exists(\FFI::class, FALSE);
  }

  /**
   * The one rule for "can this process use the library through FFI".
   *
   * @param array<string, mixed> $environment
   *   A report of environment() (or of a NativeFactoryInterface, which
   *   tests replace by a fake).
   */
  public static function isUsable(array $environment): bool {
    return ($environment['mode'] ?? self::MODE_NONE) !== self::MODE_NONE;
  }

  /**
   * Reports which load mode this process would use, or exactly why none.
   *
   * Does not load the library. Keys: mode, reason, sapi, php_version,
   * ffi_loaded, ffi_enable, ffi_preload, opcache_preload, scope_available,
   * class_preloaded, library, library_exists, library_problem (why it is
   * missing and what to build or download, else null), library_machine (the
   * architecture the file is built for, from its ELF header), preload_library
   * (in preload mode: the FFI_LIB of the ffi.preload header), machine
   * (php_uname('m')), header, header_exists, expected_abi.
   *
   * @return array<string, mixed>
   */
  public static function environment(?string $libraryPath = NULL, ?string $headerPath = NULL): array {
    $ffiLoaded = self::extensionLoaded();
    $enable = $ffiLoaded ? ini_get('ffi.enable') : FALSE;
    $preloadIni = $ffiLoaded ? (string) ini_get('ffi.preload') : '';
    $scope = $ffiLoaded && $preloadIni !== '' && self::scopeAvailable();
    $classPreloaded = self::classPreloaded();
    [$mode, $reason] = self::decideMode($ffiLoaded, $enable, PHP_SAPI, $scope, $classPreloaded === TRUE);
    $library = $libraryPath ?? self::defaultLibraryPath();
    $header = $headerPath ?? self::defaultHeaderPath();
    $preloadLibrary = $mode === self::MODE_PRELOAD ? self::preloadedLibrary($preloadIni) : NULL;

    return [
      'mode' => $mode,
      'reason' => $reason,
      'sapi' => PHP_SAPI,
      'php_version' => PHP_VERSION,
      'ffi_loaded' => $ffiLoaded,
      'ffi_enable' => $enable === FALSE ? NULL : (string) $enable,
      'ffi_preload' => $preloadIni,
      'opcache_preload' => (string) ini_get('opcache.preload'),
      'scope_available' => $scope,
      'class_preloaded' => $classPreloaded,
      'library' => $mode === self::MODE_PRELOAD ? NULL : $library,
      'library_exists' => $mode === self::MODE_PRELOAD ? NULL : is_file($library),
      'library_problem' => $mode === self::MODE_PRELOAD || is_file($library) ? NULL : self::missingLibraryMessage($library),
      'preload_library' => $preloadLibrary,
      'library_machine' => self::elfMachine($mode === self::MODE_PRELOAD ? (string) $preloadLibrary : $library),
      'machine' => php_uname('m'),
      'header' => $mode === self::MODE_PRELOAD ? NULL : $header,
      'header_exists' => $mode === self::MODE_PRELOAD ? NULL : is_file($header),
      'expected_abi' => self::ABI_VERSION,
    ];
  }

  /**
   * The load mode this process would use: "preload", "cdef" or "none".
   */
  public static function ffiMode(): string {
    return self::environment()['mode'];
  }

  /**
   * Pure decision between the load modes (exposed for tests).
   *
   * @param string|false $ffiEnable
   *   ini_get('ffi.enable').
   *
   * @return array{0: string, 1: string}
   *   [mode, human-readable reason].
   *
   * @internal
   */
  public static function decideMode(bool $ffiLoaded, $ffiEnable, string $sapi, bool $scopeAvailable, bool $classPreloaded): array {
    if (!$ffiLoaded) {
      return [self::MODE_NONE, 'The PHP FFI extension is not loaded in this PHP (' . $sapi . '): '
        . 'enable ext-ffi (on Debian it ships in php8.x-common; check "extension=ffi" and that php was not started with -n).'];
    }
    if ($scopeAvailable) {
      return [self::MODE_PRELOAD, 'FFI scope ' . self::SCOPE . ' was preloaded by ffi.preload.'];
    }
    $value = strtolower(trim((string) $ffiEnable));
    if (self::iniTrue($value)) {
      return [self::MODE_CDEF, 'ffi.enable=' . $value . ' allows FFI::cdef everywhere.'];
    }
    if ($value === 'preload') {
      if ($sapi === 'cli') {
        return [self::MODE_CDEF, 'ffi.enable=preload allows FFI::cdef on the CLI.'];
      }
      if ($classPreloaded) {
        return [self::MODE_CDEF, 'ffi.enable=preload and this binding was preloaded by opcache.preload.'];
      }

      return [self::MODE_NONE, 'ffi.enable=preload restricts FFI under the "' . $sapi . '" SAPI to preloaded code, '
        . 'and neither the ' . self::SCOPE . ' FFI scope nor this binding is preloaded: ' . self::FIX . '.'];
    }

    return [self::MODE_NONE, 'ffi.enable=' . ($value === '' ? '0' : $value) . ' disables FFI: ' . self::FIX . '.'];
  }

  /**
   * Default library path: $ENTRA_LIBRARY, else the first existing of the
   * module's own library (moduleLibraryPath()), <repo>/target/release/,
   * <repo>/target/debug/ (else the module's, so the error names it).
   */
  public static function defaultLibraryPath(): string {
    $env = getenv('ENTRA_LIBRARY');
    if (is_string($env) && $env !== '') {
      return $env;
    }
    $module = dirname(__DIR__, 2);
    $repo = dirname($module);
    $file = self::platformLibraryFile(PHP_OS_FAMILY);

    return self::firstExisting([
      self::moduleLibraryPath($module),
      $repo . '/target/release/' . $file,
      $repo . '/target/debug/' . $file,
    ]);
  }

  /**
   * The folder under a release's lib/ with the library for a machine
   * ("linux-x86_64"), or null when releases ship none for it.
   *
   * @param string $osFamily
   *   PHP_OS_FAMILY.
   * @param string $machine
   *   php_uname('m').
   */
  public static function releaseDirectory(string $osFamily, string $machine): ?string {
    $architecture = self::MACHINES[strtolower(trim($machine))] ?? NULL;

    return $osFamily === 'Linux' && $architecture !== NULL ? 'linux-' . $architecture : NULL;
  }

  /**
   * The library a module folder holds for this machine.
   *
   * lib/linux-<architecture>/ (a release tarball ships one per
   * architecture), else lib/ (where "make module" copies the local build).
   * When neither exists: the release path if the folder is a release (it
   * has a lib/linux-* folder), else lib/, so that the error names the file
   * that is missing.
   *
   * @param string|null $osFamily
   *   Null: PHP_OS_FAMILY.
   * @param string|null $machine
   *   Null: php_uname('m').
   */
  public static function moduleLibraryPath(string $moduleDirectory, ?string $osFamily = NULL, ?string $machine = NULL): string {
    $osFamily ??= PHP_OS_FAMILY;
    $lib = rtrim($moduleDirectory, '/') . '/lib/';
    $local = $lib . self::platformLibraryFile($osFamily);
    $release = self::releaseDirectory($osFamily, $machine ?? php_uname('m'));
    if ($release === NULL) {
      return $local;
    }
    $bundled = $lib . $release . '/' . self::LIBRARY_FILE;
    if (is_file($bundled) || (!is_file($local) && self::releaseDirectories($lib) !== [])) {
      return $bundled;
    }

    return $local;
  }

  /**
   * Why there is no library at $library, and what to build or download.
   *
   * @param string|null $osFamily
   *   Null: PHP_OS_FAMILY.
   * @param string|null $machine
   *   Null: php_uname('m').
   */
  public static function missingLibraryMessage(string $library, ?string $osFamily = NULL, ?string $machine = NULL): string {
    $osFamily ??= PHP_OS_FAMILY;
    $machine ??= php_uname('m');
    $build = 'build it from source on this machine ("make module" in the repository, which needs Rust; see README, "Build from source")';
    $override = "\$settings['entra_provisioning']['library'] in settings.php";
    $release = self::releaseDirectory($osFamily, $machine);
    if ($release === NULL) {
      return sprintf(
        'No library at %s, and there is no prebuilt one for this machine (%s %s): releases ship lib/linux-x86_64/ and lib/linux-aarch64/ only. To use the module here, %s and set %s to it.',
        $library, $osFamily, $machine, $build, $override
      );
    }
    $lib = dirname($library);
    if (str_starts_with(basename($lib), 'linux-')) {
      $lib = dirname($lib);
    }
    $shipped = self::releaseDirectories($lib);
    if ($shipped !== [] && !in_array($release, $shipped, TRUE)) {
      return sprintf(
        'No library at %s: this copy of the module holds lib/%s/ only, and this machine (php_uname(\'m\') = %s) needs lib/%s/. Download the release tarball entra_provisioning-<version>.tar.gz (it holds lib/linux-x86_64/ and lib/linux-aarch64/) and extract it in place of this folder, or %s.',
        $library, implode('/, lib/', $shipped), $machine, $release, $build
      );
    }

    return sprintf(
      'No library at %s (for %s, php_uname(\'m\') = %s). Download the release tarball entra_provisioning-<version>.tar.gz and extract it into modules/contrib/ (it holds lib/%s/%s), or %s, or set %s.',
      $library, $release, $machine, $release, self::LIBRARY_FILE, $build, $override
    );
  }

  /**
   * The architecture a library file is built for, from its ELF header
   * (x86_64, aarch64, ...), or null when it is not a readable ELF file.
   */
  public static function elfMachine(string $path): ?string {
    if (!is_file($path) || !is_readable($path)) {
      return NULL;
    }
    $head = @file_get_contents($path, FALSE, NULL, 0, 20);
    if (!is_string($head) || strlen($head) < 20 || substr($head, 0, 4) !== "\x7FELF") {
      return NULL;
    }
    // e_machine (2 bytes at offset 18), in the byte order of EI_DATA.
    $machine = unpack($head[5] === "\x02" ? 'n' : 'v', substr($head, 18, 2))[1];

    return self::ELF_MACHINES[$machine] ?? sprintf('ELF machine 0x%X', $machine);
  }

  /**
   * The library the ffi.preload header of this scope names (its FFI_LIB),
   * or null when no readable header declares the scope.
   *
   * @param string $ffiPreload
   *   ini_get('ffi.preload'): header files or globs, PATH_SEPARATOR-separated.
   */
  public static function preloadedLibrary(string $ffiPreload): ?string {
    foreach (array_filter(explode(PATH_SEPARATOR, $ffiPreload)) as $pattern) {
      foreach (glob($pattern) ?: [] as $file) {
        $head = is_readable($file) ? @file_get_contents($file, FALSE, NULL, 0, 4096) : FALSE;
        if (is_string($head)
          && preg_match('/^#define\s+FFI_SCOPE\s+"' . self::SCOPE . '"/m', $head) === 1
          && preg_match('/^#define\s+FFI_LIB\s+"([^"]+)"/m', $head, $match) === 1) {
          return $match[1];
        }
      }
    }

    return NULL;
  }

  /**
   * The lib/linux-* folders of a release that hold a library.
   *
   * @return list<string>
   */
  private static function releaseDirectories(string $lib): array {
    $found = [];
    foreach (array_unique(self::MACHINES) as $architecture) {
      if (is_file(rtrim($lib, '/') . '/linux-' . $architecture . '/' . self::LIBRARY_FILE)) {
        $found[] = 'linux-' . $architecture;
      }
    }

    return $found;
  }

  private static function platformLibraryFile(string $osFamily): string {
    if ($osFamily === 'Darwin') {
      return 'libentra_provisioning.dylib';
    }
    if ($osFamily === 'Windows') {
      return 'entra_provisioning.dll';
    }

    return self::LIBRARY_FILE;
  }

  /**
   * Default header path: $ENTRA_HEADER, else the first existing of
   * drupal_module/lib/ (where "make module" puts it), drupal_module/include/,
   * <repo>/include/ (the committed, cbindgen-generated header).
   */
  public static function defaultHeaderPath(): string {
    $env = getenv('ENTRA_HEADER');
    if (is_string($env) && $env !== '') {
      return $env;
    }
    $module = dirname(__DIR__, 2);

    return self::firstExisting([
      $module . '/lib/' . self::HEADER_FILE,
      $module . '/include/' . self::HEADER_FILE,
      dirname($module) . '/include/' . self::HEADER_FILE,
    ]);
  }

  /**
   * Loads the library (once per process and mode/library/header) and
   * checks its ABI version.
   *
   * @param string|null $libraryPath
   *   null = defaultLibraryPath(); ignored in preload mode (the preload
   *   header names the library).
   * @param string|null $headerPath
   *   null = defaultHeaderPath().
   * @param string|null $forcedMode
   *   MODE_PRELOAD or MODE_CDEF; null = the mode environment() decides.
   *
   * @return array{0: \FFI, 1: string}
   *   [the FFI instance, the mode used].
   *
   * @throws \Drupal\entra_provisioning\Native\Exception\NativeUnavailableException
   */
  public static function load(?string $libraryPath, ?string $headerPath, ?string $forcedMode): array {
    if (!self::extensionLoaded()) {
      throw new NativeUnavailableException(self::decideMode(FALSE, FALSE, PHP_SAPI, FALSE, FALSE)[1]);
    }
    $mode = $forcedMode;
    if ($mode === NULL) {
      $env = self::environment($libraryPath, $headerPath);
      if (!self::isUsable($env)) {
        throw new NativeUnavailableException('The Entra provisioning library cannot be used: ' . $env['reason']);
      }
      $mode = $env['mode'];
    }

    if ($mode === self::MODE_PRELOAD) {
      return [self::loadScope(), $mode];
    }

    return [self::loadCdef($libraryPath ?? self::defaultLibraryPath(), $headerPath ?? self::defaultHeaderPath()), $mode];
  }

  private static function loadScope(): \FFI {
    $key = 'scope';
    if (!isset(self::$loaded[$key])) {
      try {
        $ffi = \FFI::scope(self::SCOPE);
      }
      catch (\Throwable $e) {
        throw new NativeUnavailableException(sprintf(
          'FFI scope %s is not available (%s): set ffi.preload to the header rendered by PreloadHeader (scripts/render-preload-header.php) and opcache.preload=drupal_module/preload.php, see README.',
          self::SCOPE,
          $e->getMessage()
        ), $e);
      }
      self::checkAbi($ffi, 'the library named by FFI_LIB in ' . (string) ini_get('ffi.preload'));
      self::$loaded[$key] = $ffi;
    }

    return self::$loaded[$key];
  }

  private static function loadCdef(string $library, string $header): \FFI {
    $key = 'cdef:' . $library . "\0" . $header;
    if (isset(self::$loaded[$key])) {
      return self::$loaded[$key];
    }
    if (!is_file($header) || !is_readable($header)) {
      throw new NativeUnavailableException(sprintf(
        'The C header %s does not exist or is not readable (set the header path or ENTRA_HEADER; it is include/%s in the repository).',
        $header,
        self::HEADER_FILE
      ));
    }
    if (str_contains($library, '/') && !is_file($library)) {
      throw new NativeUnavailableException(self::missingLibraryMessage($library));
    }
    $built = self::elfMachine($library);
    $here = self::MACHINES[strtolower(php_uname('m'))] ?? NULL;
    if ($built !== NULL && $here !== NULL && $built !== $here) {
      // dlopen would only say "wrong ELF class" or "cannot open".
      throw new NativeUnavailableException(sprintf(
        'The library %s is built for %s, and this machine is %s: use lib/linux-%s/%s of the release, or build the library on this machine ("make module").',
        $library,
        $built,
        $here,
        $here,
        self::LIBRARY_FILE
      ));
    }
    $source = file_get_contents($header);
    if ($source === FALSE) {
      throw new NativeUnavailableException(sprintf('Could not read the C header %s.', $header));
    }
    try {
      // The ABI first, with a one-function declaration: a library of
      // another ABI would otherwise fail below on a missing symbol,
      // with a less helpful message.
      $probe = \FFI::cdef('uint32_t entra_abi_version(void);', $library);
    }
    catch (\Throwable $e) {
      throw new NativeUnavailableException(sprintf(
        'FFI could not load the library %s: %s',
        $library,
        $e->getMessage()
      ), $e);
    }
    self::checkAbi($probe, $library);
    try {
      $ffi = \FFI::cdef($source, $library);
    }
    catch (\Throwable $e) {
      throw new NativeUnavailableException(sprintf(
        'FFI could not load the library %s with the header %s: %s',
        $library,
        $header,
        $e->getMessage()
      ), $e);
    }
    self::$loaded[$key] = $ffi;

    return $ffi;
  }

  private static function checkAbi(\FFI $ffi, string $what): void {
    $abi = (int) $ffi->entra_abi_version();
    if ($abi !== self::ABI_VERSION) {
      throw new NativeUnavailableException(sprintf(
        'ABI mismatch: %s implements ABI version %d, this PHP binding expects %d. Install the library and module from the same release.',
        $what,
        $abi,
        self::ABI_VERSION
      ));
    }
  }

  private static function scopeAvailable(): bool {
    try {
      \FFI::scope(self::SCOPE);

      return TRUE;
    }
    catch (\Throwable $e) {
      return FALSE;
    }
  }

  /**
   * Whether opcache.preload loaded every class that calls the FFI API
   * (null: cannot tell).
   */
  private static function classPreloaded(): ?bool {
    if ((string) ini_get('opcache.preload') === '') {
      return FALSE;
    }
    if (!function_exists('opcache_get_status')) {
      return NULL;
    }
    $status = @opcache_get_status(FALSE);
    if (!is_array($status)) {
      return NULL;
    }
    $classes = $status['preload_statistics']['classes'] ?? NULL;
    if (!is_array($classes)) {
      return FALSE;
    }
    $preloaded = [];
    foreach ($classes as $class) {
      if (is_string($class)) {
        $preloaded[strtolower(ltrim($class, '\\'))] = TRUE;
      }
    }
    foreach (self::FFI_API_CLASSES as $class) {
      if (!isset($preloaded[strtolower($class)])) {
        return FALSE;
      }
    }

    return TRUE;
  }

  private static function iniTrue(string $value): bool {
    if ($value === 'true' || $value === 'on' || $value === 'yes') {
      return TRUE;
    }

    return is_numeric($value) && (int) $value !== 0;
  }

  /**
   * @param list<string> $candidates
   */
  private static function firstExisting(array $candidates): string {
    foreach ($candidates as $candidate) {
      if (is_file($candidate)) {
        return $candidate;
      }
    }

    return $candidates[0];
  }

}
