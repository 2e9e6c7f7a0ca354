<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Native;

use Drupal\entra_provisioning\Native\EntraNative;
use Drupal\entra_provisioning\Native\FfiLoader;
use Drupal\entra_provisioning\Native\Exception\ConfigException;
use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Native\Exception\InvalidArgumentException;
use Drupal\entra_provisioning\Native\Exception\NativePanicException;
use Drupal\entra_provisioning\Native\Exception\ValidationException;
use Drupal\entra_provisioning\Native\NativeClientInterface;
use Drupal\entra_provisioning\Native\Status;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;

/**
 * The binding against the real library, without the network.
 */
final class NativeClientTest extends NativeTestCase {

  private const CANARY = 'CANARY-s3cr3t-7f3a9c';

  public function testAbiAndVersion(): void {
    $native = $this->native(self::offlineConfig());
    $this->assertInstanceOf(NativeClientInterface::class, $native);
    $this->assertSame(FfiLoader::ABI_VERSION, $native->abiVersion());
    $this->assertSame(FfiLoader::ABI_VERSION, $native->connect()['abi_version'], 'client_new reports the same ABI');
    $this->assertMatchesRegularExpression('/^\d+\.\d+\.\d+/', $native->version());
    // Reading the static version string twice gives the same value (it is never freed).
    $this->assertSame($native->version(), $native->version());
  }

  public function testConnectDescribesTheEffectiveEndpointsWithoutTheSecret(): void {
    $native = $this->native(self::offlineConfig(['client_secret' => self::CANARY]));
    $info = $native->connect();
    $this->assertTrue($info['ok']);
    $this->assertSame('http://127.0.0.1:9', rtrim((string) $info['graph_endpoint'], '/'));
    $this->assertFalse(str_contains(json_encode($info, JSON_THROW_ON_ERROR), self::CANARY), 'the secret appears in the connect() result');
    $this->assertSame($info, $native->connect(), 'connect() is idempotent');
  }

  public function testBadConfigNamesTheField(): void {
    $config = self::offlineConfig();
    unset($config['tenant_id']);
    $e = $this->configError($config);
    $this->assertSame('tenant_id', $e->field());
    $this->assertSame('config', $e->kind());
    $this->assertSame(Status::CONFIG, $e->getCode());

    $e = $this->configError(self::offlineConfig(['cloud' => 'mars']));
    $this->assertSame('cloud', $e->field());

    $e = $this->configError(self::offlineConfig(['graph_endpoint' => 'http://graph.example.com']));
    $this->assertSame('graph_endpoint', $e->field());
    $this->assertStringContainsString('https', $e->getMessage());
  }

  public function testCreateSurfacesConfigErrorsImmediately(): void {
    $this->expectException(ConfigException::class);
    EntraNative::create(self::offlineConfig(['timeout_ms' => 1]), $this->libraryPath(), $this->headerPath());
  }

  public function testTheSecretNeverAppearsInAConfigError(): void {
    // The canary is the secret, and also sits in fields whose errors quote the bad value.
    foreach (['cloud', 'tenant_id', 'max_retries', 'primary_domain'] as $field) {
      $e = $this->configError(self::offlineConfig(['client_secret' => self::CANARY, $field => self::CANARY]));
      $this->assertSame($field, $e->field(), $e->getMessage());
      $this->assertSecretAbsent($e);
    }
  }

  public function testTheNativeErrorJsonItselfDoesNotCarryTheSecret(): void {
    // Bypasses the binding's own redaction: this checks the library.
    $ffi = \FFI::cdef((string) file_get_contents($this->headerPath()), $this->libraryPath());
    $config = json_encode(self::offlineConfig(['client_secret' => self::CANARY, 'cloud' => self::CANARY]), JSON_THROW_ON_ERROR);
    $client = $ffi->new('EntraClient*');
    $out = $ffi->new('char*');
    $status = $ffi->entra_client_new($config, \FFI::addr($client), \FFI::addr($out));
    $this->assertSame($ffi->ENTRA_STATUS_CONFIG, $status);
    $this->assertTrue(\FFI::isNull($client), 'out_client is written only on OK');
    $this->assertFalse(\FFI::isNull($out));
    $json = \FFI::string($out);
    $ffi->entra_string_free($out);
    $this->assertFalse(str_contains($json, self::CANARY), 'the secret appears in the native error JSON');
    $this->assertSame('config', json_decode($json, TRUE)['kind']);
  }

  public function testTheConfigIsNotDumped(): void {
    $native = $this->native(self::offlineConfig(['client_secret' => self::CANARY]));
    $this->assertFalse(str_contains(print_r($native, TRUE), self::CANARY), 'the secret appears in print_r()');
    ob_start();
    var_dump($native);
    $dump = (string) ob_get_clean();
    $this->assertFalse(str_contains($dump, self::CANARY), 'the secret appears in var_dump()');
    $this->assertStringContainsString('[REDACTED]', $dump);
    $this->expectException(\LogicException::class);
    serialize($native);
  }

  public function testMapUserShowsTheBodyWithThePasswordRedactedWithoutNetwork(): void {
    // The endpoints point at a closed port: any request would fail.
    $native = $this->native(self::offlineConfig([
      'mapping' => ['properties' => ['field_first_name' => 'givenName', 'field_last_name' => 'surname']],
    ]));
    $body = $native->mapUser(self::drupalUser(5, 'jdoe', [
      'mail' => 'j@example.com',
      'fields' => ['field_first_name' => 'Jane', 'field_last_name' => [['value' => 'Doe']]],
    ]));
    $this->assertSame('jdoe@contoso.onmicrosoft.com', $body['userPrincipalName']);
    $this->assertSame('jdoe', $body['mailNickname']);
    $this->assertSame('jdoe', $body['displayName']);
    $this->assertSame('j@example.com', $body['mail']);
    $this->assertTrue($body['accountEnabled']);
    $this->assertSame('Jane', $body['givenName']);
    $this->assertSame('Doe', $body['surname']);
    $this->assertSame('[REDACTED]', $body['passwordProfile']['password']);
    $this->assertTrue($body['passwordProfile']['forceChangePasswordNextSignIn']);
  }

  public function testPhpEmptyArraysAreAcceptedWhereTheLibraryExpectsObjects(): void {
    // json_encode() turns 'fields' => [] and 'properties' => [] into JSON
    // arrays; the binding sends them as they are and the library reads an
    // empty array as an empty object.
    $this->assertSame('{"fields":[],"mapping":{"properties":[]}}', json_encode(['fields' => [], 'mapping' => ['properties' => []]]));
    $native = $this->native(self::offlineConfig(['mapping' => ['properties' => []]]));
    $body = $native->mapUser(self::drupalUser(6, 'empty.fields', ['fields' => [], 'status' => 0, 'roles' => [3 => 'editor']]));
    $this->assertSame('empty.fields@contoso.onmicrosoft.com', $body['userPrincipalName']);
    $this->assertFalse($body['accountEnabled']);
  }

  public function testQuoteAndUnicodeNamesMap(): void {
    $native = $this->native(self::offlineConfig());
    $body = $native->mapUser(self::drupalUser(7, "o'brien"));
    $this->assertSame("o'brien@contoso.onmicrosoft.com", $body['userPrincipalName']);
    $this->assertSame('obrien', $body['mailNickname']);

    $body = $native->mapUser(self::drupalUser(8, 'Zoë Ærøskøbing', ['mail' => 'zoe@example.com']));
    $this->assertSame('Zoë Ærøskøbing', $body['displayName']);
    $this->assertSame('Zoe.AEroskobing@contoso.onmicrosoft.com', $body['userPrincipalName']);
  }

  public function testAnUnmappableNameIsAValidationErrorWithFieldAndHint(): void {
    $native = $this->native(self::offlineConfig());
    try {
      $native->mapUser(self::drupalUser(9, '+++'));
      $this->fail('expected ValidationException');
    }
    catch (ValidationException $e) {
      $this->assertSame('validation', $e->kind());
      $this->assertSame('name', $e->field());
      $this->assertNotNull($e->hint());
      $this->assertFalse($e->isRetryable());
    }
  }

  public function testWrongShapeIsAnInvalidArgument(): void {
    $native = $this->native(self::offlineConfig());
    try {
      $native->mapUser(['uid' => 1, 'fields' => ['x' => 1]]);
      $this->fail('expected InvalidArgumentException');
    }
    catch (InvalidArgumentException $e) {
      $this->assertSame(Status::INVALID_ARGUMENT, $e->getCode());
      $this->assertStringContainsString('name', $e->getMessage());
    }
  }

  public function testInvalidJsonIsAnInvalidArgument(): void {
    // The binding always sends valid JSON, so this goes through FFI directly.
    $ffi = \FFI::cdef((string) file_get_contents($this->headerPath()), $this->libraryPath());
    $client = $ffi->new('EntraClient*');
    $out = $ffi->new('char*');
    $this->assertSame(0, $ffi->entra_client_new(json_encode(self::offlineConfig()), \FFI::addr($client), \FFI::addr($out)));
    $ffi->entra_string_free($out);
    try {
      foreach (['{"uid": 1, "name": ', 'not json at all', '', "\xff\xfe"] as $bad) {
        $out = $ffi->new('char*');
        $status = $ffi->entra_map_user($client, $bad, \FFI::addr($out));
        $this->assertSame($ffi->ENTRA_STATUS_INVALID_ARGUMENT, $status, var_export($bad, TRUE));
        $error = json_decode(\FFI::string($out), TRUE);
        $ffi->entra_string_free($out);
        $this->assertSame('invalid_argument', $error['kind']);
        $this->assertIsString($error['message']);
        $this->assertInstanceOf(InvalidArgumentException::class, EntraException::fromStatus($status, $error));
      }
    }
    finally {
      $ffi->entra_client_free($client);
    }
  }

  public function testInvalidUtf8IsRefusedBeforeTheCall(): void {
    $native = $this->native(self::offlineConfig());
    $this->expectException(InvalidArgumentException::class);
    $this->expectExceptionMessage('Malformed UTF-8');
    $native->mapUser(self::drupalUser(1, "bad\xC3"));
  }

  public function testAPanicBecomesAnExceptionAndTheClientGoesOn(): void {
    $native = $this->native(self::offlineConfig());
    $native->connect();
    try {
      $native->selfTestPanic();
      $this->fail('expected NativePanicException');
    }
    catch (NativePanicException $e) {
      $this->assertSame(Status::PANIC, $e->getCode());
      $this->assertSame('panic', $e->kind());
      $this->assertStringContainsString('entra_selftest_panic', $e->getMessage());
    }
    $this->assertSame('after.panic@contoso.onmicrosoft.com', $native->mapUser(self::drupalUser(1, 'after.panic'))['userPrincipalName']);
  }

  public function testAPanicLeavesTheProcessAliveAndSilent(): void {
    $code = sprintf(<<<'PHP'
$native = new Drupal\entra_provisioning\Native\EntraNative(['tenant_id' => '11111111-2222-3333-4444-555555555555',
    'client_id' => 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', 'client_secret' => 'offline-test-secret', 'primary_domain' => 'contoso.onmicrosoft.com',
    'cloud' => 'global'], %s, %s);
for ($i = 0; $i < 3; $i++) {
    try { $native->selfTestPanic(); } catch (Drupal\entra_provisioning\Native\Exception\NativePanicException $e) { echo "caught\n"; }
}
echo "survived\n";
PHP, var_export($this->libraryPath(), TRUE), var_export($this->headerPath(), TRUE));
    [$exit, $stdout, $stderr] = $this->runPhp($code);
    $this->assertSame(0, $exit, $stderr);
    $this->assertSame("caught\ncaught\ncaught\nsurvived\n", $stdout);
    $this->assertSame('', $stderr, 'the panic hook must not print to stderr');
  }

  public function testCloseFreesTheClientAndForbidsFurtherUse(): void {
    $native = $this->native(self::offlineConfig());
    $native->mapUser(self::drupalUser(1, 'a'));
    $native->close();
    $native->close();
    $this->expectException(\LogicException::class);
    $native->mapUser(self::drupalUser(1, 'a'));
  }

  public function testMemoryStaysFlatOverManyCalls(): void {
    $native = $this->native(self::offlineConfig(['mapping' => ['properties' => ['field_first_name' => 'givenName']]]));
    $user = self::drupalUser(5, 'leak.check', ['fields' => ['field_first_name' => 'Leak']]);
    for ($i = 0; $i < 2000; $i++) {
      $native->mapUser($user);
    }
    gc_collect_cycles();
    $php = memory_get_usage();
    $rss = self::rssBytes();
    $start = microtime(TRUE);
    for ($i = 0; $i < 20000; $i++) {
      $body = $native->mapUser($user);
    }
    $elapsed = microtime(TRUE) - $start;
    gc_collect_cycles();
    $this->assertSame('Leak', $body['givenName']);
    $phpGrowth = memory_get_usage() - $php;
    $this->assertLessThan(64 * 1024, $phpGrowth, sprintf('PHP heap grew by %d bytes over 20,000 calls', $phpGrowth));
    if ($rss !== NULL) {
      // A leaked result string (~300 bytes) per call would add ~6 MB; normally it is 0.
      $rssGrowth = (int) self::rssBytes() - $rss;
      $this->assertLessThan(1024 * 1024, $rssGrowth, sprintf('RSS grew by %d bytes over 20,000 calls (%.2f s)', $rssGrowth, $elapsed));
    }
  }

  private function configError(#[\SensitiveParameter] array $config): ConfigException {
    $native = $this->native($config);
    try {
      $native->connect();
    }
    catch (ConfigException $e) {
      return $e;
    }
    $this->fail('expected ConfigException for a configuration with keys ' . implode(', ', array_keys($config)));
  }

  private function assertSecretAbsent(EntraException $e): void {
    $this->assertFalse(str_contains($e->getMessage(), self::CANARY), 'the secret appears in the message');
    $this->assertFalse(str_contains((string) $e, self::CANARY), 'the secret appears in the exception as a string');
    $this->assertFalse(str_contains(json_encode($e->toArray(), JSON_THROW_ON_ERROR), self::CANARY), 'the secret appears in toArray()');
    $this->assertFalse(str_contains(json_encode($e->details(), JSON_THROW_ON_ERROR), self::CANARY), 'the secret appears in details()');
    // With zend.exception_ignore_args=0 (phpunit.xml.dist) the trace keeps arguments:
    // #[\SensitiveParameter] must hide the configuration (PHP >= 8.2).
    if (PHP_VERSION_ID >= 80200) {
      foreach ($e->getTrace() as $i => $frame) {
        $this->assertFalse(self::containsString($frame['args'] ?? [], self::CANARY), sprintf(
          'trace frame #%d (%s%s%s) shows the secret in its arguments',
          $i,
          $frame['class'] ?? '',
          $frame['type'] ?? '',
          $frame['function']
        ));
      }
    }
  }

  /**
   * Whether $needle occurs in a string inside $value (arrays walked, objects skipped).
   *
   * @param mixed $value
   */
  private static function containsString($value, string $needle, int $depth = 0): bool {
    if (is_string($value)) {
      return str_contains($value, $needle);
    }
    if (is_array($value) && $depth < 8) {
      foreach ($value as $item) {
        if (self::containsString($item, $needle, $depth + 1)) {
          return TRUE;
        }
      }
    }

    return FALSE;
  }

  private static function rssBytes(): ?int {
    $statm = @file_get_contents('/proc/self/statm');
    if ($statm === FALSE) {
      return NULL;
    }
    $pages = (int) (explode(' ', $statm)[1] ?? 0);

    return $pages * 4096;
  }

}
