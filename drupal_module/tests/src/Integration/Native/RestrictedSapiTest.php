<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Native;

use Drupal\entra_provisioning\Native\PreloadHeader;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;

/**
 * The load modes under a SAPI where ffi.enable=preload really restricts FFI.
 *
 * PHP's built-in web server (SAPI "cli-server") is restricted like php-fpm
 * and mod_php, and ships with php-cli, so it stands in for them here.
 */
final class RestrictedSapiTest extends NativeTestCase {

  private string $dir = '';

  protected function setUp(): void {
    parent::setUp();
    $this->dir = sys_get_temp_dir() . '/entra-sapi-' . getmypid() . '-' . bin2hex(random_bytes(3));
    mkdir($this->dir);
  }

  protected function tearDown(): void {
    array_map('unlink', glob($this->dir . '/*') ?: []);
    @rmdir($this->dir);
    parent::tearDown();
  }

  public function testWithoutPreloadFfiIsRefusedWithTheFix(): void {
    $result = $this->serve(['-d', 'ffi.enable=preload']);
    $this->assertSame('cli-server', $result['env']['sapi']);
    $this->assertSame('none', $result['env']['mode']);
    $this->assertStringContainsString('NativeUnavailableException', $result['auto']);
    $this->assertStringContainsString('set ffi.enable=1 for this SAPI, or use the preload setup', $result['auto']);
    // The refusal is real: forcing cdef hits PHP's own restriction.
    $this->assertStringContainsString('NativeUnavailableException', $result['forced_cdef']);
    $this->assertStringContainsString('FFI API is restricted', $result['forced_cdef']);
  }

  public function testFfiEnableOneAllowsCdef(): void {
    $result = $this->serve(['-d', 'ffi.enable=1']);
    $this->assertSame('cdef', $result['env']['mode']);
    $this->assertSame('web@contoso.onmicrosoft.com', $result['auto']);
  }

  public function testPreloadedScopeWorks(): void {
    $preloadHeader = $this->dir . '/entra_provisioning.preload.h';
    PreloadHeader::write($this->headerPath(), $this->libraryPath(), $preloadHeader);
    $result = $this->serve(array_merge($this->opcachePreload(), ['-d', 'ffi.preload=' . $preloadHeader]));
    $this->assertSame('preload', $result['env']['mode'], $result['env']['reason']);
    $this->assertTrue($result['env']['class_preloaded']);
    $this->assertSame('web@contoso.onmicrosoft.com', $result['auto']);
  }

  public function testPreloadedClassAloneMayUseCdef(): void {
    $result = $this->serve($this->opcachePreload());
    $this->assertSame('cdef', $result['env']['mode'], $result['env']['reason']);
    $this->assertSame('web@contoso.onmicrosoft.com', $result['auto']);
  }

  /**
   * @return list<string>
   */
  private function opcachePreload(): array {
    if (!function_exists('opcache_get_status')) {
      $this->markTestSkipped('opcache is not loaded.');
    }
    $user = function_exists('posix_getpwuid') ? (posix_getpwuid(posix_geteuid())['name'] ?? 'root') : 'root';

    return [
      '-d', 'ffi.enable=preload',
      '-d', 'opcache.enable=1',
      '-d', 'opcache.enable_cli=1',
      '-d', 'opcache.preload=' . self::moduleRoot() . '/preload.php',
      '-d', 'opcache.preload_user=' . $user,
    ];
  }

  /**
   * Starts `php -S` with a router that reports what the binding does, fetches it once.
   *
   * @param list<string> $iniArgs
   *
   * @return array<string, mixed>
   */
  private function serve(array $iniArgs): array {
    $library = $this->libraryPath();
    $header = $this->headerPath();
    $router = $this->dir . '/router.php';
    file_put_contents($router, sprintf(<<<'PHP'
<?php
declare(strict_types=1);
require_once %s;
use Drupal\entra_provisioning\Native\EntraNative;
use Drupal\entra_provisioning\Native\FfiLoader;
$library = %s;
$header = %s;
$config = ['tenant_id' => '11111111-2222-3333-4444-555555555555', 'client_id' => 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    'client_secret' => 'offline-test-secret', 'primary_domain' => 'contoso.onmicrosoft.com', 'cloud' => 'global'];
$out = ['env' => FfiLoader::environment($library, $header)];
foreach (['auto' => null, 'forced_cdef' => FfiLoader::MODE_CDEF] as $key => $mode) {
    try {
        $out[$key] = (new EntraNative($config, $library, $header, $mode))->mapUser(['uid' => 1, 'name' => 'web'])['userPrincipalName'];
    } catch (Throwable $e) {
        $out[$key] = get_class($e) . ': ' . $e->getMessage();
    }
}
header('Content-Type: application/json');
echo json_encode($out);
PHP, var_export(self::moduleRoot() . '/preload.php', TRUE), var_export($library, TRUE), var_export($header, TRUE)));

    $probe = stream_socket_server('tcp://127.0.0.1:0');
    $this->assertIsResource($probe);
    $address = (string) stream_socket_get_name($probe, FALSE);
    fclose($probe);
    $log = $this->dir . '/server.log';
    $process = proc_open(
      array_merge([PHP_BINARY], $iniArgs, ['-S', $address, $router]),
      [0 => ['file', '/dev/null', 'r'], 1 => ['file', $log, 'w'], 2 => ['file', $log, 'a']],
      $pipes
    );
    $this->assertIsResource($process);
    try {
      $deadline = microtime(TRUE) + 10.0;
      $body = FALSE;
      while ($body === FALSE && microtime(TRUE) < $deadline) {
        usleep(50000);
        $body = @file_get_contents('http://' . $address . '/', FALSE, stream_context_create(['http' => ['timeout' => 5]]));
      }
    }
    finally {
      proc_terminate($process);
      proc_close($process);
    }
    $this->assertIsString($body, 'php -S did not answer: ' . (string) @file_get_contents($log));
    $result = json_decode($body, TRUE);
    $this->assertIsArray($result, $body);

    return $result;
  }

}
