<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Native\Exception\NativeUnavailableException;
use Drupal\entra_provisioning\Native\FfiLoader;
use Drupal\entra_provisioning\Native\LibraryFacts;
use Drupal\entra_provisioning\Native\NativeClientInterface;

/**
 * The native client of this request (created once), and the library's
 * client-less answers (facts, decisions, mappable properties).
 *
 * Where the secrets come from is SecretResolver's concern, and what the
 * library is configured with LibraryConfigBuilder's; this class keeps their
 * methods for its callers and adds the library paths and the client.
 */
final class ClientFactory {

  public const STATE_SECRET = SecretResolver::STATE_SECRET;

  public const STATE_PRIVATE_KEY = SecretResolver::STATE_PRIVATE_KEY;

  public const SECRET_KEY_TYPES = SecretResolver::SECRET_KEY_TYPES;

  public const LIBRARY_FILE = 'libentra_provisioning.so';

  public const HEADER_FILE = 'entra_provisioning.h';

  private SecretResolver $secrets;

  private LibraryConfigBuilder $config;

  private ?NativeClientInterface $client = NULL;

  private ?LibraryFacts $facts = NULL;

  /**
   * The library's mapped_fields answers of this request, by mapping.
   *
   * @var array<string, list<string>>
   */
  private array $mappedFields = [];

  public function __construct(
    private ConfigSourceInterface $configSource,
    StateStoreInterface $state,
    SecretKeyRepositoryInterface $keys,
    private NativeFactoryInterface $natives
  ) {
    $this->secrets = new SecretResolver($configSource, $state, $keys);
    $this->config = new LibraryConfigBuilder($configSource, $this->secrets);
  }

  public function settings(): ModuleSettings {
    return new ModuleSettings($this->configSource->moduleConfig());
  }

  /**
   * Path of the shared library: $settings[...]['library'], else the
   * module's own for this machine: lib/linux-<architecture>/ of a release,
   * or lib/ (see FfiLoader::moduleLibraryPath()).
   */
  public function libraryPath(): string {
    $path = $this->config->siteSetting('library');

    return $path !== '' ? $path : FfiLoader::moduleLibraryPath($this->configSource->moduleDirectory());
  }

  /**
   * The module's release version (the "version" line a release adds to
   * the info file), or null in a source checkout.
   */
  public function moduleVersion(): ?string {
    return ModuleVersion::fromInfoFile(rtrim($this->configSource->moduleDirectory(), '/') . '/entra_provisioning.info.yml');
  }

  /**
   * Path of the C header: $settings[...]['header'] or <module>/lib/.
   */
  public function headerPath(): string {
    $path = $this->config->siteSetting('header');

    return $path !== '' ? $path : rtrim($this->configSource->moduleDirectory(), '/') . '/lib/' . self::HEADER_FILE;
  }

  /**
   * Forced FFI mode ("preload" or "cdef") from settings.php, or null (automatic).
   */
  public function ffiMode(): ?string {
    $mode = $this->config->siteSetting('ffi_mode');

    return in_array($mode, ['preload', 'cdef'], TRUE) ? $mode : NULL;
  }

  /**
   * @see SecretResolver::resolveSecret()
   */
  public function resolveSecret(?string $name = NULL): ResolvedSecret {
    return $this->secrets->resolveSecret($name);
  }

  /**
   * @see SecretResolver::secretFromSettings()
   */
  public function secretFromSettings(?string $name = NULL): bool {
    return $this->secrets->secretFromSettings($name);
  }

  /**
   * Stores a new secret in State and drops the client made with the old one.
   *
   * @see SecretResolver::storeSecret()
   */
  public function storeSecret(
    #[\SensitiveParameter]
    string $secret,
    string $name = ResolvedSecret::CLIENT_SECRET
  ): void {
    $this->secrets->storeSecret($secret, $name);
    $this->reset();
  }

  /**
   * @see SecretResolver::activeSecretName()
   */
  public function activeSecretName(): string {
    return $this->secrets->activeSecretName();
  }

  /**
   * @see SecretResolver::redact()
   *
   * @param mixed $value
   *
   * @return mixed
   */
  public function redact($value) {
    return $this->secrets->redact($value);
  }

  /**
   * The library configuration (contains the secret: never log it).
   *
   * @see LibraryConfigBuilder::build()
   *
   * @param array<string, mixed> $mappingOverride
   *
   * @return array<string, mixed>
   */
  public function buildConfig(?array $mappingOverride = NULL): array {
    return $this->config->build($mappingOverride);
  }

  /**
   * The library configuration without the secret (safe to show or log).
   *
   * @see LibraryConfigBuilder::describe()
   *
   * @param array<string, mixed> $mappingOverride
   *
   * @return array<string, mixed>
   */
  public function describeConfig(?array $mappingOverride = NULL): array {
    return $this->config->describe($mappingOverride);
  }

  /**
   * @see LibraryConfigBuilder::endpointOverrides()
   *
   * @return array<string, string>
   */
  public function endpointOverrides(): array {
    return $this->config->endpointOverrides();
  }

  /**
   * The connection values that are still empty (configuration incomplete).
   *
   * @return list<string>
   *   Fields of the library configuration the library requires for the
   *   chosen credential type (entra_describe), e.g. tenant_id or
   *   client_certificate.private_key_pem; [] when the library cannot be
   *   loaded.
   */
  public function missing(): array {
    $settings = $this->settings();
    // Which fields are required is the library's rule; whether each has
    // a value here is a Drupal fact (configuration, settings.php, Key, State).
    $present = [
      'tenant_id' => $settings->tenantId() !== '',
      'client_id' => $settings->clientId() !== '',
      'primary_domain' => $settings->primaryDomain() !== '',
      'client_secret' => $this->secrets->resolveSecret(ResolvedSecret::CLIENT_SECRET)->hasValue(),
      'client_certificate.certificate_pem' => $settings->certificatePem() !== '',
      'client_certificate.private_key_pem' => $this->secrets->resolveSecret(ResolvedSecret::PRIVATE_KEY)->hasValue(),
    ];
    $credential = $settings->usesCertificate() ? 'client_certificate' : 'client_secret';
    try {
      $required = $this->facts()->requiredFields($credential);
    }
    catch (EntraException $e) {
      // The library's unavailability is what callers report then
      // (environment(), probe()); nothing can be provisioned anyway.
      return [];
    }
    $missing = array_values(array_filter($required, static fn (string $field): bool => !($present[$field] ?? FALSE)));
    // In the order step 1 shows the fields.
    $order = array_flip(array_keys(ConnectionFields::ELEMENTS));
    usort($missing, static fn (string $a, string $b): int => ($order[$a] ?? PHP_INT_MAX) <=> ($order[$b] ?? PHP_INT_MAX));

    return $missing;
  }

  /**
   * What the library says about itself (asked once per request).
   *
   * @throws \Drupal\entra_provisioning\Native\Exception\EntraException
   *   When the library cannot be loaded in this PHP.
   */
  public function facts(): LibraryFacts {
    return $this->facts ??= $this->natives->describe($this->libraryPath(), $this->headerPath(), $this->ffiMode());
  }

  /**
   * Asks the library's rules a question (entra_decide; no client needed).
   *
   * @param array<string, mixed> $question
   *
   * @return array<string, mixed>
   *
   * @throws \Drupal\entra_provisioning\Native\Exception\EntraException
   */
  public function decide(array $question): array {
    return $this->natives->decide($question, $this->libraryPath(), $this->headerPath(), $this->ffiMode());
  }

  /**
   * The Drupal fields the configured mapping reads (the library's answer):
   * what to load with an account.
   *
   * @return list<string>
   *   [] when the library cannot be asked; the call that needs the fields
   *   then fails with the reason.
   */
  public function mappedFieldNames(): array {
    // Asked on every account load: remembered per mapping for this request
    // (a form that changes the mapping gets a fresh answer).
    $mapping = $this->settings()->mapping();
    $key = json_encode($mapping);
    if (isset($this->mappedFields[$key])) {
      return $this->mappedFields[$key];
    }
    try {
      $answer = $this->decide(['decide' => 'mapped_fields', 'mapping' => $mapping]);
    }
    catch (EntraException $e) {
      return [];
    }
    $fields = $answer['fields'] ?? [];

    return $this->mappedFields[$key] = is_array($fields) ? array_values(array_filter($fields, 'is_string')) : [];
  }

  /**
   * The native client of this request (created on first use).
   *
   * @param int|null $budgetMs
   *   The overall time budget of the calls made with it from now on (each
   *   caller passes its own: an admin's form, a queue item, a bulk chunk);
   *   null: the library's default.
   */
  public function client(?int $budgetMs = NULL): NativeClientInterface {
    if ($this->client === NULL) {
      $this->client = $this->natives->create($this->config->build(), $this->libraryPath(), $this->headerPath(), $this->ffiMode());
    }
    $this->client->setCallBudgetMs($budgetMs);

    return $this->client;
  }

  /**
   * Drops the client (after the configuration changed).
   */
  public function reset(): void {
    $this->client = NULL;
  }

  /**
   * The library's check of a certificate and its private key
   * (entra_check_certificate; no client, no network): its problems, one per
   * field at most, and the certificate's thumbprint, subject and expiry.
   *
   * @param string $pem
   *   The PEM certificate; empty to check the key alone.
   * @param string|null $key
   *   The PEM private key; null or empty to check the certificate alone.
   *
   * @return array{certificate: ?array{thumbprint: string, subject: string, not_after: int}, problems: list<array{field: string, message: string}>}|null
   *   Null when the library cannot be loaded in this PHP: a caller then
   *   skips its early check, since the library checks the credential again
   *   when the client is created (Save and Test, every operation).
   *
   * @throws \Drupal\entra_provisioning\Native\Exception\EntraException
   *   When the loaded library fails (a bug: never for a bad certificate).
   */
  public function checkCertificate(
    string $pem,
    #[\SensitiveParameter]
    ?string $key = NULL
  ): ?array {
    try {
      $report = $this->natives->checkCertificate($pem, $key, $this->libraryPath(), $this->headerPath(), $this->ffiMode());
    }
    catch (NativeUnavailableException $e) {
      return NULL;
    }
    $certificate = is_array($report['certificate'] ?? NULL) ? $report['certificate'] : NULL;
    $problems = [];
    foreach (is_array($report['problems'] ?? NULL) ? $report['problems'] : [] as $problem) {
      if (is_array($problem) && is_string($problem['field'] ?? NULL) && is_string($problem['message'] ?? NULL)) {
        $problems[] = ['field' => $problem['field'], 'message' => $problem['message']];
      }
    }

    return [
      'certificate' => $certificate === NULL ? NULL : [
        'thumbprint' => (string) ($certificate['thumbprint'] ?? ''),
        'subject' => (string) ($certificate['subject'] ?? ''),
        'not_after' => (int) ($certificate['not_after'] ?? 0),
      ],
      'problems' => $problems,
    ];
  }

  /**
   * Validates the configuration in the library (no network).
   *
   * @param array<string, mixed> $mappingOverride
   *
   * @throws \Drupal\entra_provisioning\Native\Exception\EntraException
   */
  public function validate(?array $mappingOverride = NULL): void {
    $this->natives->validate($this->config->build($mappingOverride), $this->libraryPath(), $this->headerPath(), $this->ffiMode());
  }

  /**
   * @return array<string, mixed>
   */
  public function environment(): array {
    return $this->natives->environment($this->libraryPath(), $this->headerPath());
  }

  /**
   * @return array{ok: bool, version: ?string, abi_version: ?int, expected_abi: int, mode: ?string, error: ?string}
   */
  public function probe(): array {
    return $this->natives->probe($this->libraryPath(), $this->headerPath(), $this->ffiMode());
  }

  /**
   * The Graph properties a Drupal field may be mapped to (from the library).
   *
   * @return array{properties: list<array{name: string, max_length: ?int}>, fixed: list<string>}
   *
   * @throws \Drupal\entra_provisioning\Native\Exception\EntraException
   *   When the library cannot be loaded in this PHP.
   */
  public function mappableProperties(): array {
    return $this->natives->mappableProperties($this->libraryPath(), $this->headerPath(), $this->ffiMode());
  }

}
