<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Provisioning;

use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\LinkRecord;
use Drupal\entra_provisioning\Provisioning\ModuleSettings;
use Drupal\entra_provisioning\Provisioning\Outcome;
use Drupal\entra_provisioning\Provisioning\Provisioner;
use Drupal\Tests\entra_provisioning\Support\EmulatorProcess;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;

/**
 * The certificate credential through the REAL library and the Graph
 * emulator, which has the test certificate registered on its app.
 *
 * Canary: the private keys (the matching one and the non-matching one) must
 * appear in no result, exception, log record, link record, State value other
 * than the key's own, described configuration or emulator log entry; checked
 * for the whole PEM and for each of its base64 lines, plain, URL-encoded and
 * JSON-encoded (see SecretCanaryTest).
 */
final class CertificateEmulatorTest extends NativeTestCase {

  use ProvisioningTestTrait;

  private static function fixture(string $file): string {
    return (string) file_get_contents(self::repoRoot() . '/tests/fixtures/' . $file);
  }

  private function startCertificateEmulator(): EmulatorProcess {
    $emulator = $this->startEmulator(['--client-certificate', self::repoRoot() . '/tests/fixtures/test-app.cert.pem']);
    $emulator->configure(['redact_log' => FALSE]);

    return $emulator;
  }

  /**
   * Wires the services with the certificate credential and a key in State.
   */
  private function wireCertificate(EmulatorProcess $emulator, string $keyPem): void {
    // No client secret anywhere: only the certificate can sign in.
    $this->wire($emulator, ['connection' => [
      'credential_type' => ModuleSettings::CREDENTIAL_CERTIFICATE,
      'certificate_pem' => self::fixture('test-app.cert.pem'),
    ], 'provisioning' => ['auto_create' => TRUE]], [], 'not-the-secret');
    $this->state->delete(ClientFactory::STATE_SECRET);
    $this->state->set(ClientFactory::STATE_PRIVATE_KEY, $keyPem);
    $this->clients->reset();
  }

  public function testTheCertificateCredentialSignsInAndProvisions(): void {
    $emulator = $this->startCertificateEmulator();
    $this->wireCertificate($emulator, self::fixture('test-app.key.pem'));
    $this->assertSame([], $this->clients->missing());
    $this->assertArrayNotHasKey('client_secret', $this->clients->buildConfig());

    $record = $this->provisioner->testConnection();
    $this->assertTrue($record['ok'], (string) json_encode($record['error']));
    $this->assertSame('adele@contoso.onmicrosoft.com', $record['upn']);
    $this->assertSame($record, $this->state->get(Provisioner::STATE_LAST_TEST));

    $this->users->add(10, 'cert.user');
    $this->assertSame(Outcome::DONE, $this->provisioner->provisionNow(10)->status);
    $this->assertSame(LinkRecord::RESULT_OK, $this->links->load(10)->lastResult);
    $this->assertCount(1, $this->emulatorUsersNamed($emulator, 'cert.user@contoso.onmicrosoft.com'));

    // The token request carried a client assertion, never a client secret.
    $tokens = array_values(array_filter($this->requestLog($emulator), static fn ($e): bool => is_array($e) && str_contains((string) ($e['path'] ?? ''), '/oauth2/v2.0/token')));
    $this->assertNotEmpty($tokens);
    parse_str((string) $tokens[0]['body'], $form);
    $this->assertSame('urn:ietf:params:oauth:client-assertion-type:jwt-bearer', $form['client_assertion_type'] ?? NULL);
    $this->assertArrayNotHasKey('client_secret', $form);

    $this->assertKeyAppearsNowhere(self::fixture('test-app.key.pem'), 'matching key', $emulator, [$record]);
  }

  public function testPemsPastedWithCrlfLineEndingsWork(): void {
    $emulator = $this->startCertificateEmulator();
    $this->wireCertificate($emulator, str_replace("\n", "\r\n", self::fixture('test-app.key.pem')));
    $this->configure(['connection' => ['certificate_pem' => str_replace("\n", "\r\n", self::fixture('test-app.cert.pem'))]]);
    $this->assertStringNotContainsString("\r", (string) json_encode($this->clients->buildConfig()['client_certificate']));
    $record = $this->provisioner->testConnection();
    $this->assertTrue($record['ok'], (string) json_encode($record['error']));
  }

  public function testACertificateNotRegisteredOnTheAppFailsWithAadsts700027AndNeverLeaks(): void {
    $emulator = $this->startCertificateEmulator();
    // A consistent key and certificate, but not the certificate the app has registered.
    $wrongKey = self::fixture('other.key.pem');
    $this->wireCertificate($emulator, $wrongKey);
    $this->configure(['connection' => ['certificate_pem' => self::fixture('other.cert.pem')]]);

    $results = [];
    $record = $this->provisioner->testConnection();
    $results[] = $record;
    $this->assertFalse($record['ok']);
    $this->assertSame('AADSTS700027', $record['error']['aadsts'] ?? NULL, (string) json_encode($record['error']));
    $this->assertStringContainsString('AADSTS700027', (string) json_encode($record['error']));
    $this->assertStringContainsString('certificate', (string) ($record['error']['fix'] ?? $record['error']['message'] ?? ''), 'the fix names the certificate');

    // The other paths that fail on the token: a queued create, a manual
    // sync, the import.
    $this->users->add(20, 'cert.denied');
    $this->provisioner->onUserInsert(20, 'cert.denied');
    $results[] = $this->runner->run(5.0);
    $results[] = $this->provisioner->provisionNow(20);
    $this->configure(['direction' => ['entra_to_drupal' => TRUE]]);
    $results[] = $this->importer->run(FALSE, FALSE, 5.0);

    // Through the binding alone (no redaction by the module): exceptions.
    $config = $this->clients->buildConfig();
    $this->assertSame($wrongKey, $config['client_certificate']['private_key_pem']);
    $native = $this->native($config);
    try {
      $native->testConnection('adele@contoso.onmicrosoft.com');
      $this->fail('a non-matching key cannot sign in');
    }
    catch (EntraException $e) {
      $this->assertSame('AADSTS700027', $e->toArray()['aadsts'] ?? NULL);
      $results[] = [get_class($e) . ': ' . $e->getMessage(), $e->toArray(), $e->details(), $e->getTraceAsString()];
    }
    // A key that does not belong to the certificate is refused before any request.
    $mismatch = $config;
    $mismatch['client_certificate']['certificate_pem'] = self::fixture('test-app.cert.pem');
    try {
      $this->native($mismatch)->connect();
      $this->fail('a key that does not belong to the certificate is a configuration error');
    }
    catch (EntraException $e) {
      $this->assertSame('client_certificate.private_key_pem', $e->field());
      $this->assertStringContainsString('does not belong', $e->getMessage());
      $results[] = [$e->getMessage(), $e->toArray(), $e->getTraceAsString()];
    }
    // A configuration error about the key field never quotes the key.
    $broken = $config;
    $broken['client_certificate']['private_key_pem'] = str_replace('PRIVATE KEY', 'PUBLIC THING', $wrongKey);
    try {
      $this->native($broken)->connect();
      $this->fail('a key that is not a private key is a configuration error');
    }
    catch (EntraException $e) {
      $this->assertSame('client_certificate.private_key_pem', $e->field());
      $results[] = [$e->getMessage(), $e->toArray(), $e->getTraceAsString()];
    }

    $this->assertNotEmpty($this->logger->records);
    $this->assertStringContainsString('AADSTS700027', $this->logDump());
    $this->assertKeyAppearsNowhere($wrongKey, 'non-matching key', $emulator, $results);
  }

  /**
   * @param list<mixed> $results
   */
  private function assertKeyAppearsNowhere(string $keyPem, string $what, EmulatorProcess $emulator, array $results): void {
    $canaries = [$what => trim($keyPem)];
    foreach (preg_split('/\R/', $keyPem) ?: [] as $i => $line) {
      $line = trim($line);
      if (strlen($line) >= 16 && !str_starts_with($line, '-----')) {
        $canaries[$what . ' line ' . $i] = $line;
      }
    }
    $this->assertGreaterThan(10, count($canaries));

    $state = $this->state->values;
    $this->assertSame($keyPem, $state[ClientFactory::STATE_PRIVATE_KEY] ?? NULL, 'the key itself lives in its own State key');
    unset($state[ClientFactory::STATE_PRIVATE_KEY]);
    $places = [
      'results' => $results,
      'log records' => $this->logger->records,
      'link records' => array_map(static fn (LinkRecord $l): array => $l->toArray(), $this->links->records),
      'other State values' => $state,
      'queue' => $this->queue->items,
      'described config' => $this->clients->describeConfig(),
      'emulator request log' => $this->requestLog($emulator),
    ];
    $this->assertNotEmpty($places['results']);
    $this->assertNotEmpty($places['log records']);
    $this->assertNotEmpty($places['emulator request log']);
    foreach ($places as $label => $value) {
      $text = self::flatten($value);
      foreach ($canaries as $name => $canary) {
        foreach ([$canary, rawurlencode($canary), substr((string) json_encode($canary), 1, -1)] as $form) {
          $this->assertStringNotContainsString($form, $text, sprintf('The %s appears in the %s', $name, $label));
        }
      }
    }
  }

  /**
   * Any value as one string (objects through their properties, all levels).
   *
   * @param mixed $value
   */
  private static function flatten($value): string {
    if (is_string($value)) {
      return $value;
    }
    if (is_object($value)) {
      $value = get_object_vars($value) + (array) $value;
    }
    if (is_array($value)) {
      $parts = [];
      foreach ($value as $key => $item) {
        $parts[] = $key . '=' . self::flatten($item);
      }

      return implode("\n", $parts);
    }

    return var_export($value, TRUE);
  }

}
