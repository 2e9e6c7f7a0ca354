<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Provisioning;

use Drupal\entra_provisioning\Provisioning\CertificateCheck;
use Drupal\entra_provisioning\Provisioning\RequirementsEvaluator;
use Drupal\entra_provisioning\Provisioning\ResolvedSecret;
use PHPUnit\Framework\TestCase;

/**
 * The form's early checks of the certificate and its key, and the status
 * report line of the certificate credential.
 */
final class CertificateCheckTest extends TestCase {

  private static function fixture(string $file): string {
    return (string) file_get_contents(dirname(__DIR__, 5) . '/tests/fixtures/' . $file);
  }

  public function testTheCertificateMustBeAPemCertificate(): void {
    $this->assertNull(CertificateCheck::certificateProblem(self::fixture('test-app.cert.pem')));
    $this->assertNull(CertificateCheck::certificateProblem(str_replace("\n", "\r\n", self::fixture('test-app.cert.pem'))));
    $this->assertStringContainsString('BEGIN CERTIFICATE', (string) CertificateCheck::certificateProblem(self::fixture('test-app.key.pem')));
    $this->assertStringContainsString('BEGIN CERTIFICATE', (string) CertificateCheck::certificateProblem('not a certificate'));
    if (function_exists('openssl_x509_read')) {
      $this->assertStringContainsString('not a valid X.509', (string) CertificateCheck::certificateProblem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"));
    }
  }

  public function testThePrivateKeyMustBelongToTheCertificateAndIsNeverQuoted(): void {
    $cert = self::fixture('test-app.cert.pem');
    $this->assertNull(CertificateCheck::privateKeyProblem(self::fixture('test-app.key.pem'), $cert));
    $this->assertNull(CertificateCheck::privateKeyProblem(self::fixture('other.key.pem')), 'alone, any RSA key is fine');
    $other = self::fixture('other.key.pem');
    $problems = [
      CertificateCheck::privateKeyProblem($cert, $cert),
      CertificateCheck::privateKeyProblem("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", $cert),
    ];
    $this->assertStringContainsString('RSA private key in PEM form', (string) $problems[0]);
    $this->assertStringContainsString('passphrase', (string) $problems[1]);
    if (function_exists('openssl_x509_check_private_key')) {
      $problems[] = $mismatch = CertificateCheck::privateKeyProblem($other, $cert);
      $this->assertStringContainsString('does not belong to the certificate', (string) $mismatch);
    }
    $lines = array_filter(explode("\n", $other), static fn (string $l): bool => strlen($l) > 16 && !str_starts_with($l, '-----'));
    foreach ($problems as $problem) {
      foreach ($lines as $line) {
        $this->assertStringNotContainsString($line, (string) $problem);
      }
    }
  }

  public function testDescribeGivesThePortalThumbprint(): void {
    if (!function_exists('openssl_x509_fingerprint')) {
      $this->markTestSkipped('ext-openssl is not loaded.');
    }
    $info = CertificateCheck::describe(self::fixture('test-app.cert.pem'));
    $this->assertIsArray($info);
    $this->assertSame(strtoupper((string) openssl_x509_fingerprint(self::fixture('test-app.cert.pem'), 'sha1')), $info['thumbprint']);
    $this->assertMatchesRegularExpression('/^[0-9A-F]{40}$/', $info['thumbprint']);
    $this->assertGreaterThan(0, $info['not_after']);
    $this->assertNull(CertificateCheck::describe(''));
    $this->assertNull(CertificateCheck::describe('junk'));
  }

  public function testTheStatusReportNamesTheCertificateAndWhereItsKeyComesFrom(): void {
    $facts = [
      'credential_type' => 'certificate',
      'certificate' => ['thumbprint' => 'ABCDEF', 'subject' => '/CN=drupal-entra', 'not_after' => 2000000000],
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
   * @param array<string, mixed> $facts
   *
   * @return array<string, string>
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
