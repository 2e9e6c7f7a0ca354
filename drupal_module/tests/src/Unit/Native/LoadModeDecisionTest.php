<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Native;

use Drupal\entra_provisioning\Native\FfiLoader;
use PHPUnit\Framework\Attributes\DataProvider;
use PHPUnit\Framework\TestCase;

/**
 * Which load mode FfiLoader chooses, and why, without loading the library.
 */
final class LoadModeDecisionTest extends TestCase
{
    /**
     * @return array<string, array{0: bool, 1: string|false, 2: string, 3: bool, 4: bool, 5: string, 6: list<string>}>
     */
    public static function modeProvider(): array
    {
        return [
            'no ext-ffi' => [false, false, 'fpm-fcgi', false, false, 'none', ['FFI extension is not loaded']],
            'enable=1 under fpm' => [true, '1', 'fpm-fcgi', false, false, 'cdef', ['ffi.enable=1']],
            'enable=On under apache' => [true, 'On', 'apache2handler', false, false, 'cdef', ['ffi.enable=on']],
            'enable=true' => [true, 'true', 'fpm-fcgi', false, false, 'cdef', []],
            'preload on the CLI' => [true, 'preload', 'cli', false, false, 'cdef', ['CLI']],
            'preload under fpm, nothing preloaded' => [true, 'preload', 'fpm-fcgi', false, false, 'none', ['"fpm-fcgi"', 'set ffi.enable=1 for this SAPI', 'preload setup', 'README']],
            'preload under php -S' => [true, 'preload', 'cli-server', false, false, 'none', ['"cli-server"', 'ffi.enable=1']],
            'preload under fpm, scope preloaded' => [true, 'preload', 'fpm-fcgi', true, true, 'preload', ['ENTRA_PROVISIONING']],
            'preload under fpm, only the class preloaded' => [true, 'preload', 'fpm-fcgi', false, true, 'cdef', ['opcache.preload']],
            'scope wins on the CLI too' => [true, 'preload', 'cli', true, false, 'preload', []],
            'enable=0 on the CLI' => [true, '0', 'cli', false, false, 'none', ['ffi.enable=0 disables FFI', 'set ffi.enable=1']],
            'enable=false' => [true, 'false', 'cli', false, false, 'none', ['ffi.enable=false']],
            'enable empty (Off)' => [true, '', 'cli', false, false, 'none', ['ffi.enable=0']],
        ];
    }

    /**
     * @dataProvider modeProvider
     *
     * @param string|false $enable
     * @param list<string> $reasonContains
     */
    #[DataProvider('modeProvider')]
    public function testDecideMode(bool $loaded, $enable, string $sapi, bool $scope, bool $classPreloaded, string $mode, array $reasonContains): void
    {
        [$actualMode, $reason] = FfiLoader::decideMode($loaded, $enable, $sapi, $scope, $classPreloaded);
        $this->assertSame($mode, $actualMode, $reason);
        foreach ($reasonContains as $needle) {
            $this->assertStringContainsString($needle, $reason);
        }
    }

    public function testOnlyModeNoneIsUnusable(): void
    {
        $this->assertTrue(FfiLoader::isUsable(['mode' => FfiLoader::MODE_CDEF]));
        $this->assertTrue(FfiLoader::isUsable(['mode' => FfiLoader::MODE_PRELOAD]));
        $this->assertFalse(FfiLoader::isUsable(['mode' => FfiLoader::MODE_NONE, 'reason' => 'ffi.enable=0']));
        $this->assertFalse(FfiLoader::isUsable([]), 'a report without a mode is not a usable FFI');
        [$mode] = FfiLoader::decideMode(false, false, 'cli', false, false);
        $this->assertFalse(FfiLoader::isUsable(['mode' => $mode]), 'without ext-ffi');
    }

    public function testEnvironmentOfThisCliProcess(): void
    {
        if (!FfiLoader::extensionLoaded()) {
            $this->markTestSkipped('ext-ffi is not loaded.');
        }
        $env = FfiLoader::environment('/nonexistent/lib.so', '/nonexistent/h.h');
        $this->assertSame('cli', $env['sapi']);
        $this->assertTrue($env['ffi_loaded']);
        $this->assertSame((string) ini_get('ffi.enable'), $env['ffi_enable']);
        $this->assertSame(FfiLoader::ABI_VERSION, $env['expected_abi']);
        [$expected] = FfiLoader::decideMode(true, ini_get('ffi.enable'), 'cli', $env['scope_available'], $env['class_preloaded'] === true);
        $this->assertSame($expected, $env['mode']);
        $this->assertSame($expected, FfiLoader::ffiMode());
        if ($env['mode'] === FfiLoader::MODE_CDEF) {
            $this->assertSame('/nonexistent/lib.so', $env['library']);
            $this->assertFalse($env['library_exists']);
        }
    }
}
