<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * Checks of the certificate credential before it reaches the library: the
 * public certificate looks like a PEM certificate, the private key like an
 * unencrypted PEM RSA key belonging to it. The library checks both again
 * (client_certificate.certificate_pem / .private_key_pem); these checks only
 * give the form an earlier, more specific message.
 *
 * Messages never quote the key. With ext-openssl the key is also matched
 * against the certificate and the certificate's thumbprint and expiry are
 * read; without it only the PEM framing is checked.
 */
final class CertificateCheck {

  /**
   * Also the Regex constraint of connection.certificate_pem in the schema
   * (there with the empty value allowed).
   */
  public const CERTIFICATE_PATTERN = '/^\s*-----BEGIN CERTIFICATE-----\s+[A-Za-z0-9+\/=\s]+-----END CERTIFICATE-----\s*$/';

  private const KEY_PATTERN = '/^\s*-----BEGIN (RSA )?PRIVATE KEY-----\s+[A-Za-z0-9+\/=\s]+-----END (RSA )?PRIVATE KEY-----\s*$/';

  /**
   * Why the text is not a usable certificate, or null.
   */
  public static function certificateProblem(string $pem): ?string {
    if (preg_match(self::CERTIFICATE_PATTERN, $pem) !== 1) {
      return 'The certificate must be one PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----), e.g. the cert.pem uploaded to the app registration.';
    }
    if (function_exists('openssl_x509_read')) {
      $cert = @openssl_x509_read($pem);
      self::clearOpensslErrors();
      if ($cert === FALSE) {
        return 'The certificate cannot be read: it is framed as a PEM certificate, but its content is not a valid X.509 certificate.';
      }
    }

    return NULL;
  }

  /**
   * Why the private key is not usable with this certificate, or null.
   *
   * @param string $certificatePem
   *   The certificate; empty to check the key alone.
   */
  public static function privateKeyProblem(
    #[\SensitiveParameter]
    string $keyPem,
    string $certificatePem = ''
  ): ?string {
    if (str_contains($keyPem, 'ENCRYPTED')) {
      return 'The private key is protected by a passphrase, which the library cannot use: remove it with "openssl pkey -in key.pem -out key-plain.pem" and enter key-plain.pem.';
    }
    if (preg_match(self::KEY_PATTERN, $keyPem) !== 1) {
      return 'The private key must be an RSA private key in PEM form (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----), e.g. the key.pem created with the certificate.';
    }
    if (!function_exists('openssl_pkey_get_private')) {
      return NULL;
    }
    $key = @openssl_pkey_get_private($keyPem);
    $problem = NULL;
    if ($key === FALSE) {
      $problem = 'The private key cannot be read: it is framed as a PEM key, but its content is not a valid private key.';
    }
    elseif ((openssl_pkey_get_details($key)['type'] ?? NULL) !== OPENSSL_KEYTYPE_RSA) {
      $problem = 'The private key must be an RSA key (PS256 needs RSA): create one with "openssl req -x509 -newkey rsa:2048 ...".';
    }
    elseif ($certificatePem !== '' && self::certificateProblem($certificatePem) === NULL && @openssl_x509_check_private_key($certificatePem, $key) !== TRUE) {
      $problem = 'The private key does not belong to the certificate: enter the key.pem created together with this cert.pem.';
    }
    self::clearOpensslErrors();

    return $problem;
  }

  /**
   * What the admin compares with the app registration: the SHA-1
   * thumbprint (the portal's "Thumbprint" column), the subject and the
   * expiry; null without ext-openssl or for an unreadable certificate.
   *
   * @return array{thumbprint: string, subject: string, not_after: int}|null
   */
  public static function describe(string $pem): ?array {
    if ($pem === '' || !function_exists('openssl_x509_parse') || self::certificateProblem($pem) !== NULL) {
      return NULL;
    }
    $info = @openssl_x509_parse($pem);
    $thumbprint = @openssl_x509_fingerprint($pem, 'sha1');
    self::clearOpensslErrors();
    if (!is_array($info) || !is_string($thumbprint)) {
      return NULL;
    }
    $subject = $info['name'] ?? '';

    return [
      'thumbprint' => strtoupper($thumbprint),
      'subject' => is_string($subject) ? $subject : '',
      'not_after' => (int) ($info['validTo_time_t'] ?? 0),
    ];
  }

  /**
   * OpenSSL keeps an error queue per process; drain it so no later call
   * reads an error caused here.
   */
  private static function clearOpensslErrors(): void {
    if (function_exists('openssl_error_string')) {
      while (openssl_error_string() !== FALSE) {
        // Drained.
      }
    }
  }

}
