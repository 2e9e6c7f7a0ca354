<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Native;

use Drupal\entra_provisioning\Native\EntraNative;
use Drupal\entra_provisioning\Native\FfiLoader;
use Drupal\entra_provisioning\Native\Exception\NativeUnavailableException;
use Drupal\entra_provisioning\Native\PreloadHeader;
use Drupal\entra_provisioning\Native\Status;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;

/**
 * The three load modes (preloaded scope, cdef, none) with the real library,
 * and load failures. The mode decision alone: Unit\Native\LoadModeDecisionTest.
 */
final class LoadModeTest extends NativeTestCase {

  public function testCommittedHeaderLoadsUnmodifiedWithCdef(): void {
    $library = $this->libraryPath();
    $header = $this->headerPath();
    $ffi = \FFI::cdef((string) file_get_contents($header), $library);
    $this->assertSame(FfiLoader::ABI_VERSION, (int) $ffi->entra_abi_version());
    // Every status the library reports is a constant of the header, with
    // the value the binding's Status names it by.
    $statuses = $this->libraryFacts()->statuses();
    $this->assertCount(12, $statuses);
    foreach ($statuses as $value => $status) {
      $this->assertSame($value, $ffi->{$status['name']}, $status['name']);
      $this->assertSame($value, constant(Status::class . '::' . strtoupper($status['kind'])), $status['kind']);
    }
    $this->assertStringNotContainsString('FFI_LIB', (string) file_get_contents($header), 'the committed header must not pin a library path');
  }

  public function testTheBindingUsesCdefOnTheCli(): void {
    if (ini_get('ffi.preload')) {
      $this->markTestSkipped('ffi.preload is configured in this process.');
    }
    $native = $this->native(self::offlineConfig());
    $this->assertSame(FfiLoader::MODE_CDEF, $native->mode());
    $info = $native->info();
    $this->assertSame(FfiLoader::ABI_VERSION, $info['abi_version']);
    $this->assertSame($this->libraryPath(), $info['library']);
    $this->assertTrue($info['library_exists']);
  }

  public function testPreloadedScopeMode(): void {
    $library = $this->libraryPath();
    $header = $this->headerPath();
    if (!function_exists('opcache_get_status')) {
      $this->markTestSkipped('opcache is not loaded: the preload mode cannot be set up.');
    }
    $preloadHeader = sys_get_temp_dir() . '/entra_provisioning.preload.' . getmypid() . '.h';
    PreloadHeader::write($header, $library, $preloadHeader);
    try {
      $code = <<<'PHP'
use Drupal\entra_provisioning\Native\EntraNative;
use Drupal\entra_provisioning\Native\FfiLoader;
$env = FfiLoader::environment();
$native = new EntraNative(['tenant_id' => '11111111-2222-3333-4444-555555555555', 'client_id' => 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    'client_secret' => 'offline-test-secret', 'primary_domain' => 'contoso.onmicrosoft.com', 'cloud' => 'global',
    'login_endpoint' => 'http://127.0.0.1:9', 'graph_endpoint' => 'http://127.0.0.1:9'], '/nonexistent/ignored.so');
$body = $native->mapUser(['uid' => 1, 'name' => 'preloaded', 'mail' => 'p@example.com', 'status' => 1]);
echo json_encode(['env' => $env, 'mode' => $native->mode(), 'abi' => $native->abiVersion(), 'version' => $native->version(), 'upn' => $body['userPrincipalName'] ?? null]);
PHP;
      // The script itself only requires preload.php again (a no-op: the classes are preloaded).
      [$exit, $stdout, $stderr] = $this->runPhp($code, [
        '-d', 'opcache.enable=1',
        '-d', 'opcache.enable_cli=1',
        '-d', 'opcache.preload=' . self::moduleRoot() . '/preload.php',
        '-d', 'opcache.preload_user=' . (function_exists('posix_getpwuid') ? (posix_getpwuid(posix_geteuid())['name'] ?? 'root') : 'root'),
        '-d', 'ffi.enable=preload',
        '-d', 'ffi.preload=' . $preloadHeader,
      ]);
    }
    finally {
      @unlink($preloadHeader);
    }
    $this->assertSame(0, $exit, $stdout . $stderr);
    $result = json_decode($stdout, TRUE);
    $this->assertIsArray($result, $stdout . $stderr);
    $this->assertSame('preload', $result['env']['mode'], $result['env']['reason']);
    $this->assertTrue($result['env']['scope_available']);
    $this->assertTrue($result['env']['class_preloaded']);
    $this->assertSame('preload', $result['mode']);
    $this->assertSame(FfiLoader::ABI_VERSION, $result['abi']);
    $this->assertSame('preloaded@contoso.onmicrosoft.com', $result['upn']);
  }

  public function testForcedPreloadModeWithoutPreloadSaysHowToSetItUp(): void {
    $native = new EntraNative(self::offlineConfig(), $this->libraryPath(), $this->headerPath(), FfiLoader::MODE_PRELOAD);
    try {
      $native->version();
      $this->fail('expected NativeUnavailableException');
    }
    catch (NativeUnavailableException $e) {
      $this->assertStringContainsString('ENTRA_PROVISIONING', $e->getMessage());
      $this->assertStringContainsString('ffi.preload', $e->getMessage());
    }
  }

  public function testFfiDisabledGivesTheFix(): void {
    $library = $this->libraryPath();
    $code = sprintf(<<<'PHP'
use Drupal\entra_provisioning\Native\EntraNative;
use Drupal\entra_provisioning\Native\FfiLoader;
use Drupal\entra_provisioning\Native\Exception\NativeUnavailableException;
echo FfiLoader::ffiMode(), "\n";
try {
    (new EntraNative([], %s, %s))->version();
    echo "loaded\n";
} catch (NativeUnavailableException $e) {
    echo get_class($e), "\n", $e->getMessage(), "\n";
}
PHP, var_export($library, TRUE), var_export($this->headerPath(), TRUE));
    [$exit, $stdout, $stderr] = $this->runPhp($code, ['-d', 'ffi.enable=0']);
    $this->assertSame(0, $exit, $stderr);
    $lines = explode("\n", $stdout);
    $this->assertSame('none', $lines[0]);
    $this->assertSame(NativeUnavailableException::class, $lines[1]);
    $this->assertStringContainsString('ffi.enable=0', $lines[2]);
    $this->assertStringContainsString('set ffi.enable=1 for this SAPI, or use the preload setup', $lines[2]);
  }

  public function testMissingFfiExtensionIsReported(): void {
    // php -n loads no ini files, hence no ext-ffi (it is a shared extension on Debian).
    [$exit, $stdout, $stderr] = $this->runPhp(<<<'PHP'
use Drupal\entra_provisioning\Native\EntraNative;
use Drupal\entra_provisioning\Native\FfiLoader;
if (FfiLoader::extensionLoaded()) { echo "ffi-builtin\n"; exit(0); }
try {
    (new EntraNative([], '/x.so', '/x.h'))->version();
} catch (\Drupal\entra_provisioning\Native\Exception\NativeUnavailableException $e) {
    echo $e->getMessage(), "\n";
}
PHP, ['-n']);
    if (trim($stdout) === 'ffi-builtin') {
      $this->markTestSkipped('ext-ffi is compiled in; cannot run without it.');
    }
    $this->assertSame(0, $exit, $stderr);
    $this->assertStringContainsString('FFI extension is not loaded', $stdout);
  }

  public function testMissingLibraryNamesThePath(): void {
    $header = $this->headerPath();
    $this->libraryPath();
    $native = new EntraNative(self::offlineConfig(), '/nonexistent/dir/libentra_provisioning.so', $header);
    $this->expectException(NativeUnavailableException::class);
    $this->expectExceptionMessage('/nonexistent/dir/libentra_provisioning.so');
    $native->version();
  }

  public function testMissingHeaderNamesThePath(): void {
    $native = new EntraNative(self::offlineConfig(), $this->libraryPath(), '/nonexistent/include/entra_provisioning.h');
    $this->expectException(NativeUnavailableException::class);
    $this->expectExceptionMessage('/nonexistent/include/entra_provisioning.h');
    $native->mapUser(self::drupalUser(1, 'x'));
  }

  public function testAnotherAbiVersionIsRefused(): void {
    if (!FfiLoader::extensionLoaded()) {
      $this->markTestSkipped('ext-ffi is not loaded.');
    }
    $cc = trim((string) shell_exec('command -v cc 2>/dev/null'));
    if ($cc === '') {
      $this->markTestSkipped('No C compiler to build a stub library with another ABI version.');
    }
    $dir = sys_get_temp_dir() . '/entra-abi-' . getmypid();
    @mkdir($dir);
    $other = FfiLoader::ABI_VERSION + 1;
    file_put_contents($dir . '/stub.c', "unsigned int entra_abi_version(void) { return {$other}; }\n");
    exec(escapeshellarg($cc) . ' -shared -fPIC -o ' . escapeshellarg($dir . '/libstub.so') . ' ' . escapeshellarg($dir . '/stub.c') . ' 2>&1', $output, $rc);
    try {
      $this->assertSame(0, $rc, implode("\n", $output));
      // The real header declares functions the stub lacks: the ABI is still what is reported.
      $native = new EntraNative(self::offlineConfig(), $dir . '/libstub.so', $this->headerPath());
      try {
        $native->version();
        $this->fail('expected NativeUnavailableException');
      }
      catch (NativeUnavailableException $e) {
        $this->assertStringContainsString('ABI', $e->getMessage());
        $this->assertStringContainsString('version ' . $other, $e->getMessage());
        $this->assertStringContainsString('expects ' . FfiLoader::ABI_VERSION, $e->getMessage());
      }
    }
    finally {
      array_map('unlink', glob($dir . '/*') ?: []);
      @rmdir($dir);
    }
  }

}
