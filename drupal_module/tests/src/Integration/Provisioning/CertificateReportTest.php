<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Provisioning;

use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\EntraNativeFactory;
use Drupal\entra_provisioning\Provisioning\ModuleSettings;
use Drupal\entra_provisioning\Provisioning\RemovalGuard;
use Drupal\entra_provisioning\Provisioning\RequirementsEvaluator;
use Drupal\entra_provisioning\Provisioning\ResolvedSecret;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;
use Drupal\Tests\entra_provisioning\Support\Fake\ArrayConfigSource;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeClock;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeKeyRepository;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeNativeFactory;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryLinkStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryMatchStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryQueue;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryRemovalStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryState;

/**
 * The form's early checks of the certificate and its key, and the status
 * report line of the certificate credential: ClientFactory::checkCertificate()
 * through the REAL library (entra_check_certificate), which holds the rules.
 */
final class CertificateReportTest extends NativeTestCase {

  private const CERTIFICATE = 'client_certificate.certificate_pem';
  private const KEY = 'client_certificate.private_key_pem';

  /**
   * `openssl x509 -in tests/fixtures/test-app.cert.pem -noout -fingerprint -sha1`.
   */
  private const THUMBPRINT = '7238AC56292B62D7E8452FC9B55AF83EC199E7B1';

  private InMemoryState $state;

  protected function setUp(): void {
    parent::setUp();
    $this->state = new InMemoryState();
  }

  private static function fixture(string $file): string {
    return (string) file_get_contents(self::repoRoot() . '/tests/fixtures/' . $file);
  }

  /**
   * A ClientFactory whose pure library calls go to the real library.
   *
   * @param array<string, mixed> $connection
   */
  private function clients(array $connection = [], ?string $library = NULL): ClientFactory {
    $natives = new FakeNativeFactory();
    $natives->library = new EntraNativeFactory();
    $source = new ArrayConfigSource(ArrayConfigSource::defaults(['connection' => $connection + [
    'tenant_id' => '11111111-2222-3333-4444-555555555555',
    'client_id' => 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    'primary_domain' => 'contoso.onmicrosoft.com',
    ]]), ['library' => $library ?? $this->libraryPath(), 'header' => $this->headerPath()]);

    return new ClientFactory($source, $this->state, new FakeKeyRepository(), $natives);
  }

  /**
   * The library's report, which must be there: the library is loaded.
   *
   * @return array{certificate: ?array{thumbprint: string, subject: string, not_after: int}, problems: list<array{field: string, message: string}>}
   */
  private function check(string $pem, ?string $key = NULL): array {
    $report = $this->clients()->checkCertificate($pem, $key);
    $this->assertIsArray($report, 'the library answers');

    return $report;
  }

  /**
   * The message of the one problem of $field, or null.
   *
   * @param array{problems: list<array{field: string, message: string}>} $report
   */
  private static function problem(array $report, string $field): ?string {
    $messages = array_column(array_filter($report['problems'], static fn (array $p): bool => $p['field'] === $field), 'message');
    self::assertLessThanOrEqual(1, count($messages), 'one problem per field');

    return $messages[0] ?? NULL;
  }

  public function testTheCertificateMustBeAPemCertificate(): void {
    $cert = self::fixture('test-app.cert.pem');
    $this->assertSame([], $this->check($cert)['problems']);
    $this->assertSame([], $this->check(str_replace("\n", "\r\n", $cert))['problems'], 'a textarea submits CRLF');
    foreach ([self::fixture('test-app.key.pem'), 'not a certificate'] as $notACertificate) {
      $report = $this->check($notACertificate);
      $this->assertStringContainsString('BEGIN CERTIFICATE', (string) self::problem($report, self::CERTIFICATE));
      $this->assertNull($report['certificate']);
    }
    $framed = $this->check("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    $this->assertStringContainsString('not a valid X.509', (string) self::problem($framed, self::CERTIFICATE));
    $this->assertSame(['certificate' => NULL, 'problems' => []], $this->check(''), 'nothing entered yet');
  }

  public function testThePrivateKeyMustBelongToTheCertificateAndIsNeverQuoted(): void {
    $cert = self::fixture('test-app.cert.pem');
    $other = self::fixture('other.key.pem');
    $ec = self::fixture('ec.key.pem');
    $this->assertSame([], $this->check($cert, self::fixture('test-app.key.pem'))['problems']);
    $this->assertSame([], $this->check($cert, str_replace("\n", "\r\n", self::fixture('test-app.key.pem')))['problems']);
    $this->assertSame([], $this->check('', $other)['problems'], 'alone, any RSA key is fine');
    $this->assertSame([], $this->check($cert, '')['problems'], 'no key typed: the certificate alone');

    $reports = [
    'not a key' => $this->check($cert, $cert),
    'passphrase' => $this->check($cert, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"),
    'EC' => $this->check($cert, $ec),
    'mismatch' => $this->check($cert, $other),
    'mismatch, broken certificate' => $this->check('junk', $other),
    ];
    $this->assertStringContainsString('RSA private key in PEM form', (string) self::problem($reports['not a key'], self::KEY));
    $this->assertStringContainsString('passphrase', (string) self::problem($reports['passphrase'], self::KEY));
    $this->assertStringContainsString('openssl pkey -in key.pem -out key-plain.pem', (string) self::problem($reports['passphrase'], self::KEY));
    $this->assertStringContainsString('must be an RSA key', (string) self::problem($reports['EC'], self::KEY));
    $this->assertStringContainsString('does not belong to the certificate', (string) self::problem($reports['mismatch'], self::KEY));
    $this->assertSame(self::THUMBPRINT, $reports['mismatch']['certificate']['thumbprint'] ?? NULL, 'the certificate is still described');
    // A certificate that cannot be read: the key is only checked alone.
    $this->assertNull(self::problem($reports['mismatch, broken certificate'], self::KEY));
    $this->assertNotNull(self::problem($reports['mismatch, broken certificate'], self::CERTIFICATE));

    $text = (string) json_encode($reports);
    foreach ([$other, $ec] as $key) {
      foreach (preg_split('/\R/', $key) ?: [] as $line) {
        if (strlen($line) > 16 && !str_starts_with($line, '-----')) {
          $this->assertStringNotContainsString($line, $text);
          $this->assertStringNotContainsString(str_replace('/', '\/', $line), $text);
        }
      }
    }
  }

  public function testDescribeGivesThePortalThumbprint(): void {
    $pem = self::fixture('test-app.cert.pem');
    $info = $this->check($pem)['certificate'];
    $this->assertIsArray($info);
    $this->assertSame(self::THUMBPRINT, $info['thumbprint']);
    $this->assertSame('CN=entra-provisioning test app (tests only)', $info['subject']);
    // notAfter=Nov  2 07:36:30 2126 GMT
    $this->assertSame(gmmktime(7, 36, 30, 11, 2, 2126), $info['not_after']);
    if (function_exists('openssl_x509_fingerprint')) {
      // An independent reading of the same certificate agrees.
      $this->assertSame(strtoupper((string) openssl_x509_fingerprint($pem, 'sha1')), $info['thumbprint']);
      $this->assertSame((int) (openssl_x509_parse($pem)['validTo_time_t'] ?? 0), $info['not_after']);
    }
    $this->assertNull($this->check('')['certificate']);
    $this->assertNull($this->check('junk')['certificate']);
  }

  public function testWithoutTheLibraryTheEarlyCheckIsSkipped(): void {
    $clients = $this->clients([], '/nonexistent/libentra_provisioning.so');
    $this->assertNull($clients->checkCertificate(self::fixture('test-app.cert.pem'), self::fixture('other.key.pem')));
  }

  public function testTheStatusReportShowsTheLibrarysReadingOfTheCertificate(): void {
    $this->state->set(ClientFactory::STATE_PRIVATE_KEY, self::fixture('test-app.key.pem'));
    $connection = ['credential_type' => ModuleSettings::CREDENTIAL_CERTIFICATE, 'certificate_pem' => self::fixture('test-app.cert.pem')];
    $line = $this->secretLineOf($this->clients($connection));
    $this->assertSame('Entra certificate', $line['title']);
    $this->assertStringContainsString('thumbprint ' . self::THUMBPRINT . ', expires 2126-11-02 UTC', $line['value']);

    // Without the library the line still says where the key comes from.
    $line = $this->secretLineOf($this->clients($connection, '/nonexistent/libentra_provisioning.so'));
    $this->assertStringContainsString('private key from State', $line['value']);
    $this->assertStringNotContainsString('thumbprint', $line['value']);
  }

  public function testTheStatusReportNamesTheCertificateAndWhereItsKeyComesFrom(): void {
    $facts = [
    'credential_type' => 'certificate',
    'certificate' => ['thumbprint' => 'ABCDEF', 'subject' => 'CN=drupal-entra', 'not_after' => 2000000000],
    'now' => 1700000000,
    'secret_source' => ResolvedSecret::SOURCE_SETTINGS,
    'secret_description' => "settings.php (\$settings['entra_provisioning']['private_key_pem'])",
    'secret_problem' => NULL,
    ];
    $line = self::secretLine($facts);
    $this->assertSame('Entra certificate', $line['title']);
    $this->assertSame('info', $line['severity']);
    $this->assertStringContainsString("private key from settings.php (\$settings['entra_provisioning']['private_key_pem'])", $line['value']);
    $this->assertStringContainsString('thumbprint ABCDEF', $line['value']);

    $this->assertSame('warning', self::secretLine(['now' => 2000000000 - 86400 * 10] + $facts)['severity'], 'expires within 30 days');
    $expired = self::secretLine(['now' => 2000000001] + $facts);
    $this->assertSame('error', $expired['severity']);
    $this->assertStringContainsString('expired', $expired['description']);

    $none = self::secretLine(['secret_source' => ResolvedSecret::SOURCE_NONE, 'secret_description' => 'not set'] + $facts);
    $this->assertSame('warning', $none['severity']);
    $this->assertStringContainsString("['private_key_pem']", $none['description']);

    $problem = self::secretLine(['secret_source' => ResolvedSecret::SOURCE_KEY, 'secret_problem' => 'the key "k" does not exist or is empty'] + $facts);
    $this->assertSame('error', $problem['severity']);
    $this->assertStringContainsString('"k" does not exist', $problem['description']);

    $secret = self::secretLine(['credential_type' => 'secret', 'secret_source' => ResolvedSecret::SOURCE_STATE, 'secret_description' => 'State (entra_provisioning.client_secret), entered on step 1'] + $facts);
    $this->assertSame('Entra client secret', $secret['title']);
  }

  /**
   * The secret line of the whole report, gathered from $clients.
   *
   * @return array<string, mixed>
   */
  private function secretLineOf(ClientFactory $clients): array {
    $removals = new RemovalGuard($clients, new InMemoryRemovalStore(), new FakeClock(), new \Psr\Log\NullLogger());
    $evaluator = new RequirementsEvaluator($clients, new InMemoryQueue(new FakeClock()), new InMemoryLinkStore(), $this->state, new InMemoryMatchStore(), $removals);

    return self::secretLine($evaluator->gather());
  }

  /**
   * @param array<string, mixed> $facts
   *
   * @return array<string, mixed>
   */
  private static function secretLine(array $facts): array {
    foreach (RequirementsEvaluator::fromFacts($facts) as $line) {
      if ($line['id'] === 'secret') {
        return $line;
      }
    }
    self::fail('no secret line');
  }

}
