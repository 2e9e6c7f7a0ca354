<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Native;

use Drupal\entra_provisioning\Native\FfiLoader;
use PHPUnit\Framework\Attributes\DataProvider;
use PHPUnit\Framework\TestCase;

/**
 * Which load mode FfiLoader chooses, and why, without loading the library.
 */
final class LoadModeDecisionTest extends TestCase {

  /**
   * @return array<string, array{0: bool, 1: string|false, 2: string, 3: bool, 4: bool, 5: string, 6: list<string>}>
   */
  public static function modeProvider(): array {
    return [
      'no ext-ffi' => [FALSE, FALSE, 'fpm-fcgi', FALSE, FALSE, 'none', ['FFI extension is not loaded']],
      'enable=1 under fpm' => [TRUE, '1', 'fpm-fcgi', FALSE, FALSE, 'cdef', ['ffi.enable=1']],
      'enable=On under apache' => [TRUE, 'On', 'apache2handler', FALSE, FALSE, 'cdef', ['ffi.enable=on']],
      'enable=true' => [TRUE, 'true', 'fpm-fcgi', FALSE, FALSE, 'cdef', []],
      'preload on the CLI' => [TRUE, 'preload', 'cli', FALSE, FALSE, 'cdef', ['CLI']],
      'preload under fpm, nothing preloaded' => [TRUE, 'preload', 'fpm-fcgi', FALSE, FALSE, 'none', ['"fpm-fcgi"', 'set ffi.enable=1 for this SAPI', 'preload setup', 'README']],
      'preload under php -S' => [TRUE, 'preload', 'cli-server', FALSE, FALSE, 'none', ['"cli-server"', 'ffi.enable=1']],
      'preload under fpm, scope preloaded' => [TRUE, 'preload', 'fpm-fcgi', TRUE, TRUE, 'preload', ['ENTRA_PROVISIONING']],
      'preload under fpm, only the class preloaded' => [TRUE, 'preload', 'fpm-fcgi', FALSE, TRUE, 'cdef', ['opcache.preload']],
      'scope wins on the CLI too' => [TRUE, 'preload', 'cli', TRUE, FALSE, 'preload', []],
      'enable=0 on the CLI' => [TRUE, '0', 'cli', FALSE, FALSE, 'none', ['ffi.enable=0 disables FFI', 'set ffi.enable=1']],
      'enable=false' => [TRUE, 'false', 'cli', FALSE, FALSE, 'none', ['ffi.enable=false']],
      'enable empty (Off)' => [TRUE, '', 'cli', FALSE, FALSE, 'none', ['ffi.enable=0']],
    ];
  }

  /**
   * @dataProvider modeProvider
   *
   * @param string|false $enable
   * @param list<string> $reasonContains
   */
  #[DataProvider('modeProvider')]
  public function testDecideMode(bool $loaded, $enable, string $sapi, bool $scope, bool $classPreloaded, string $mode, array $reasonContains): void {
    [$actualMode, $reason] = FfiLoader::decideMode($loaded, $enable, $sapi, $scope, $classPreloaded);
    $this->assertSame($mode, $actualMode, $reason);
    foreach ($reasonContains as $needle) {
      $this->assertStringContainsString($needle, $reason);
    }
  }

  public function testOnlyModeNoneIsUnusable(): void {
    $this->assertTrue(FfiLoader::isUsable(['mode' => FfiLoader::MODE_CDEF]));
    $this->assertTrue(FfiLoader::isUsable(['mode' => FfiLoader::MODE_PRELOAD]));
    $this->assertFalse(FfiLoader::isUsable(['mode' => FfiLoader::MODE_NONE, 'reason' => 'ffi.enable=0']));
    $this->assertFalse(FfiLoader::isUsable([]), 'a report without a mode is not a usable FFI');
    [$mode] = FfiLoader::decideMode(FALSE, FALSE, 'cli', FALSE, FALSE);
    $this->assertFalse(FfiLoader::isUsable(['mode' => $mode]), 'without ext-ffi');
  }

  public function testEnvironmentOfThisCliProcess(): void {
    if (!FfiLoader::extensionLoaded()) {
      $this->markTestSkipped('ext-ffi is not loaded.');
    }
    $env = FfiLoader::environment('/nonexistent/lib.so', '/nonexistent/h.h');
    $this->assertSame('cli', $env['sapi']);
    $this->assertTrue($env['ffi_loaded']);
    $this->assertSame((string) ini_get('ffi.enable'), $env['ffi_enable']);
    $this->assertSame(FfiLoader::ABI_VERSION, $env['expected_abi']);
    [$expected] = FfiLoader::decideMode(TRUE, ini_get('ffi.enable'), 'cli', $env['scope_available'], $env['class_preloaded'] === TRUE);
    $this->assertSame($expected, $env['mode']);
    $this->assertSame($expected, FfiLoader::ffiMode());
    if ($env['mode'] === FfiLoader::MODE_CDEF) {
      $this->assertSame('/nonexistent/lib.so', $env['library']);
      $this->assertFalse($env['library_exists']);
    }
  }

}
