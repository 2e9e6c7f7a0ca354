<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * The library configuration JSON object, from the module settings, the site
 * settings (settings.php) and the resolved secrets.
 *
 * The credential is a client secret or a certificate (public certificate in
 * configuration, private key a secret). Values the site leaves unset are not
 * sent: the library's defaults apply.
 */
final class LibraryConfigBuilder {

  /**
   * Site settings keys that override the configured endpoints.
   */
  private const ENDPOINT_KEYS = ['login_endpoint', 'graph_endpoint'];

  public function __construct(
    private ConfigSourceInterface $configSource,
    private SecretResolver $secrets
  ) {
  }

  /**
   * The library configuration JSON object (contains the secret: never log it).
   *
   * @param array<string, mixed> $mappingOverride
   *   Replaces the "mapping" object (used to validate a mapping before saving).
   *
   * @return array<string, mixed>
   */
  public function build(?array $mappingOverride = NULL): array {
    $config = $this->describe($mappingOverride);
    if (isset($config['client_certificate'])) {
      $config['client_certificate']['private_key_pem'] = self::lineFeeds((string) $this->secrets->resolveSecret(ResolvedSecret::PRIVATE_KEY)->value());
    }
    else {
      $config['client_secret'] = (string) $this->secrets->resolveSecret(ResolvedSecret::CLIENT_SECRET)->value();
    }

    return $config;
  }

  /**
   * The library configuration without the secret (safe to show or log).
   *
   * The credential is "client_secret" or, for the certificate type,
   * "client_certificate": {"private_key_pem", "certificate_pem"}; never
   * both (the library accepts exactly one).
   *
   * @param array<string, mixed> $mappingOverride
   *
   * @return array<string, mixed>
   */
  public function describe(?array $mappingOverride = NULL): array {
    $settings = new ModuleSettings($this->configSource->moduleConfig());
    $config = [
      'tenant_id' => $settings->tenantId(),
      'client_id' => $settings->clientId(),
    ];
    if ($settings->usesCertificate()) {
      $config['client_certificate'] = ['private_key_pem' => '[REDACTED]', 'certificate_pem' => self::lineFeeds($settings->certificatePem())];
    }
    else {
      $config['client_secret'] = '[REDACTED]';
    }
    $config['primary_domain'] = $settings->primaryDomain();
    // Unset values are left out: the library's defaults apply.
    if ($settings->cloud() !== '') {
      $config['cloud'] = $settings->cloud();
    }
    $config += $this->endpointOverrides();
    // Graph's documented write quota is the library's default pace; a
    // site may change it in settings.php only (['writes' => n,
    // 'window_s' => s], or null for no pacing: load tests, emulators).
    $site = $this->configSource->siteSettings();
    if (array_key_exists('write_budget', $site) && ($site['write_budget'] === NULL || is_array($site['write_budget']))) {
      $config['write_budget'] = $site['write_budget'];
    }
    foreach (['timeout_ms', 'max_concurrency', 'max_retries'] as $key) {
      $value = $settings->optionalInt('advanced.' . $key);
      if ($value !== NULL) {
        $config[$key] = $value;
      }
    }
    $config['mapping'] = $mappingOverride ?? $settings->mapping();

    return $config;
  }

  /**
   * The endpoint overrides in effect: from settings.php only
   * ($settings['entra_provisioning']['login_endpoint'] and
   * ['graph_endpoint']). The library sends the credential to the login
   * endpoint, so it must never be settable by anyone who can only reach
   * the admin forms or import configuration.
   *
   * @return array<string, string>
   *   Key => URL, for the overrides that are set.
   */
  public function endpointOverrides(): array {
    $overrides = [];
    foreach (self::ENDPOINT_KEYS as $key) {
      $value = $this->siteSetting($key);
      if ($value !== '') {
        $overrides[$key] = $value;
      }
    }

    return $overrides;
  }

  /**
   * PEM text with LF line endings (a textarea submits CRLF).
   */
  private static function lineFeeds(
    #[\SensitiveParameter]
    string $pem
  ): string {
    return str_replace(["\r\n", "\r"], "\n", $pem);
  }

  /**
   * A string of $settings['entra_provisioning'] in settings.php ('' if unset).
   */
  public function siteSetting(string $key): string {
    $site = $this->configSource->siteSettings();
    $value = $site[$key] ?? '';

    return is_string($value) ? trim($value) : '';
  }

}
