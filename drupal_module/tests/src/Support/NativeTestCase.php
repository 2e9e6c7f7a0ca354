<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Support;

use Drupal\entra_provisioning\Native\EntraNative;
use Drupal\entra_provisioning\Native\FfiLoader;
use Drupal\entra_provisioning\Native\LibraryFacts;
use Drupal\entra_provisioning\Provisioning\EntraNativeFactory;
use PHPUnit\Framework\TestCase;

/**
 * Base for tests of the FFI binding: locates the library, header and
 * emulator (env ENTRA_LIBRARY, ENTRA_HEADER, ENTRA_EMULATOR_BIN), skips with
 * the reason when one is missing, and cleans up clients and emulators.
 */
abstract class NativeTestCase extends TestCase {

  public const ADELE = 'adele@contoso.onmicrosoft.com|Adele Vance|adele@contoso.com';

  /**
   * @var list<EmulatorProcess>
   */
  private array $emulators = [];

  /**
   * @var list<EntraNative>
   */
  private array $natives = [];

  protected function tearDown(): void {
    foreach ($this->natives as $native) {
      $native->close();
    }
    $this->natives = [];
    foreach ($this->emulators as $emulator) {
      $emulator->stop();
    }
    $this->emulators = [];
    parent::tearDown();
  }

  /**
   * What the real library reports about itself (entra_describe).
   */
  protected function libraryFacts(): LibraryFacts {
    return (new EntraNativeFactory())->describe($this->libraryPath(), $this->headerPath(), NULL);
  }

  protected static function repoRoot(): string {
    return dirname(__DIR__, 4);
  }

  protected static function moduleRoot(): string {
    return dirname(__DIR__, 3);
  }

  /**
   * The header path (ENTRA_HEADER, default <repo>/include/entra_provisioning.h).
   */
  protected function headerPath(): string {
    $env = getenv('ENTRA_HEADER');
    $path = is_string($env) && $env !== '' ? $env : self::repoRoot() . '/include/entra_provisioning.h';
    if (!is_file($path)) {
      $this->markTestSkipped('C header not found at ' . $path . ' (set ENTRA_HEADER).');
    }

    return $path;
  }

  /**
   * The library path (ENTRA_LIBRARY, default target/debug or target/release).
   */
  protected function libraryPath(): string {
    if (!FfiLoader::extensionLoaded()) {
      $this->markTestSkipped('ext-ffi is not loaded.');
    }
    $env = getenv('ENTRA_LIBRARY');
    if (is_string($env) && $env !== '') {
      $path = $env;
    }
    else {
      $path = self::repoRoot() . '/target/debug/libentra_provisioning.so';
      if (!is_file($path) && is_file(self::repoRoot() . '/target/release/libentra_provisioning.so')) {
        $path = self::repoRoot() . '/target/release/libentra_provisioning.so';
      }
    }
    if (!is_file($path)) {
      $this->markTestSkipped('Native library not found at ' . $path . ' (set ENTRA_LIBRARY; cargo build -p entra-provisioning).');
    }

    return $path;
  }

  protected function emulatorBinary(): string {
    $env = getenv('ENTRA_EMULATOR_BIN');
    $path = is_string($env) && $env !== '' ? $env : self::repoRoot() . '/target/debug/entra-graph-emulator';
    if (!is_file($path)) {
      $this->markTestSkipped('Emulator binary not found at ' . $path . ' (set ENTRA_EMULATOR_BIN; cargo build -p entra-graph-emulator).');
    }

    return $path;
  }

  /**
   * Starts an emulator (stopped in tearDown). Adele is seeded unless $seed
   * is false.
   *
   * @param list<string> $args
   */
  protected function startEmulator(array $args = [], bool $seed = TRUE): EmulatorProcess {
    $binary = $this->emulatorBinary();
    if ($seed) {
      $args = array_merge(['--seed-user', self::ADELE], $args);
    }
    $emulator = EmulatorProcess::start($binary, $args);
    $this->emulators[] = $emulator;

    return $emulator;
  }

  /**
   * A binding instance (closed in tearDown).
   *
   * @param array<string, mixed> $config
   */
  protected function native(array $config): EntraNative {
    $native = new EntraNative($config, $this->libraryPath(), $this->headerPath());
    $this->natives[] = $native;

    return $native;
  }

  /**
   * A configuration whose endpoints point at a closed loopback port: any
   * network use fails fast.
   *
   * @param array<string, mixed> $overrides
   *
   * @return array<string, mixed>
   */
  protected static function offlineConfig(array $overrides = []): array {
    return array_replace([
      'tenant_id' => EmulatorProcess::TENANT_ID,
      'client_id' => EmulatorProcess::CLIENT_ID,
      'client_secret' => EmulatorProcess::CLIENT_SECRET,
      'primary_domain' => EmulatorProcess::DOMAIN,
      'cloud' => 'global',
      'login_endpoint' => 'http://127.0.0.1:9',
      'graph_endpoint' => 'http://127.0.0.1:9',
      'timeout_ms' => 1000,
      'max_retries' => 0,
    ], $overrides);
  }

  /**
   * A Drupal user array.
   *
   * @param array<string, mixed> $overrides
   *
   * @return array<string, mixed>
   */
  protected static function drupalUser(int $uid, string $name, array $overrides = []): array {
    return array_replace([
      'uid' => $uid,
      'name' => $name,
      'mail' => $name . '@example.com',
      'status' => 1,
      'roles' => ['authenticated'],
      'fields' => [],
    ], $overrides);
  }

  /**
   * Runs a PHP snippet in a fresh php process with the binding classes
   * loaded (via preload.php, which only defines classes).
   *
   * @param list<string> $iniArgs
   *   e.g. ['-d', 'ffi.enable=0'].
   * @param array<string, string> $env
   *   Extra environment variables.
   *
   * @return array{0: int, 1: string, 2: string}
   *   [exit code, stdout, stderr].
   */
  protected function runPhp(string $code, array $iniArgs = [], array $env = []): array {
    $script = (string) tempnam(sys_get_temp_dir(), 'entra-php-');
    file_put_contents($script, "<?php\ndeclare(strict_types=1);\nrequire_once " . var_export(self::moduleRoot() . '/preload.php', TRUE) . ";\n" . $code);
    $outFile = (string) tempnam(sys_get_temp_dir(), 'entra-php-out-');
    $errFile = (string) tempnam(sys_get_temp_dir(), 'entra-php-err-');
    $command = array_merge([PHP_BINARY], $iniArgs, [$script]);
    $process = proc_open(
      $command,
      [0 => ['file', '/dev/null', 'r'], 1 => ['file', $outFile, 'w'], 2 => ['file', $errFile, 'w']],
      $pipes,
      NULL,
      $env === [] ? NULL : $env + getenv()
    );
    $this->assertIsResource($process);
    $code = proc_close($process);
    $stdout = (string) file_get_contents($outFile);
    $stderr = (string) file_get_contents($errFile);
    @unlink($script);
    @unlink($outFile);
    @unlink($errFile);

    return [$code, $stdout, $stderr];
  }

  /**
   * The users held by the emulator, whatever the envelope.
   *
   * @return list<array<string, mixed>>
   */
  protected static function emulatorUsers(EmulatorProcess $emulator): array {
    $users = $emulator->users();
    if (isset($users['value']) && is_array($users['value'])) {
      $users = $users['value'];
    }
    elseif (isset($users['users']) && is_array($users['users'])) {
      $users = $users['users'];
    }

    return array_values($users);
  }

}
