<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Native\LibraryFacts;
use Drupal\entra_provisioning\Native\NativeClientInterface;

/**
 * Builds the library configuration from the module settings and creates the
 * native client, once per request.
 *
 * The credential is a client secret or a certificate (public certificate
 * in configuration, private key a secret). Secret precedence, for the client
 * secret and the private key alike: $settings['entra_provisioning'][<name>]
 * in settings.php, then the Key module key chosen on step 1, then State.
 */
final class ClientFactory
{
    public const STATE_SECRET = 'entra_provisioning.client_secret';

    public const STATE_PRIVATE_KEY = 'entra_provisioning.private_key_pem';

    /**
     * Each secret: its State key and the setting holding its Key module key id.
     */
    private const SECRETS = [
        ResolvedSecret::CLIENT_SECRET => ['state' => self::STATE_SECRET, 'key_id' => 'connection.secret_key_id'],
        ResolvedSecret::PRIVATE_KEY => ['state' => self::STATE_PRIVATE_KEY, 'key_id' => 'connection.private_key_key_id'],
    ];

    /**
     * Key module key types a credential may come from: the Key module's
     * "Authentication" type (a single secret value). Keys of other types
     * (encryption keys, other modules' keys) are neither offered on step 1
     * nor used.
     */
    public const SECRET_KEY_TYPES = ['authentication'];

    public const LIBRARY_FILE = 'libentra_provisioning.so';

    public const HEADER_FILE = 'entra_provisioning.h';

    /**
     * Site settings keys that override the configured endpoints.
     */
    private const ENDPOINT_KEYS = ['login_endpoint', 'graph_endpoint'];

    private ConfigSourceInterface $configSource;

    private StateStoreInterface $state;

    private SecretKeyRepositoryInterface $keys;

    private NativeFactoryInterface $natives;

    private ?NativeClientInterface $client = null;

    private ?LibraryFacts $facts = null;

    public function __construct(ConfigSourceInterface $configSource, StateStoreInterface $state, SecretKeyRepositoryInterface $keys, NativeFactoryInterface $natives)
    {
        $this->configSource = $configSource;
        $this->state = $state;
        $this->keys = $keys;
        $this->natives = $natives;
    }

    public function settings(): ModuleSettings
    {
        return new ModuleSettings($this->configSource->moduleConfig());
    }

    /**
     * Path of the shared library: $settings[...]['library'] or <module>/lib/.
     */
    public function libraryPath(): string
    {
        $path = $this->siteSetting('library');

        return $path !== '' ? $path : rtrim($this->configSource->moduleDirectory(), '/') . '/lib/' . self::LIBRARY_FILE;
    }

    /**
     * Path of the C header: $settings[...]['header'] or <module>/lib/.
     */
    public function headerPath(): string
    {
        $path = $this->siteSetting('header');

        return $path !== '' ? $path : rtrim($this->configSource->moduleDirectory(), '/') . '/lib/' . self::HEADER_FILE;
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
    public function endpointOverrides(): array
    {
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
     * Forced FFI mode ("preload" or "cdef") from settings.php, or null (automatic).
     */
    public function ffiMode(): ?string
    {
        $mode = $this->siteSetting('ffi_mode');

        return in_array($mode, ['preload', 'cdef'], true) ? $mode : null;
    }

    /**
     * Where a secret of the credential comes from, and the secret itself.
     *
     * Precedence, the same for both secrets:
     * $settings['entra_provisioning'][<name>] in settings.php, then the Key
     * module key chosen on step 1, then State (entra_provisioning.<name>).
     *
     * @param string|null $name
     *   ResolvedSecret::CLIENT_SECRET or ResolvedSecret::PRIVATE_KEY; null:
     *   the one the configured credential type uses.
     */
    public function resolveSecret(?string $name = null): ResolvedSecret
    {
        $name = $name ?? $this->activeSecretName();
        if (!isset(self::SECRETS[$name])) {
            throw new \InvalidArgumentException(sprintf('Unknown secret "%s".', $name));
        }
        $label = $name === ResolvedSecret::PRIVATE_KEY ? 'private key' : 'secret';
        $site = $this->configSource->siteSettings();
        if (isset($site[$name]) && is_string($site[$name]) && $site[$name] !== '') {
            return new ResolvedSecret(ResolvedSecret::SOURCE_SETTINGS, $site[$name], null, null, $name);
        }
        $keyId = $this->settings()->string(self::SECRETS[$name]['key_id']);
        if ($keyId !== '') {
            if (!$this->keys->isAvailable()) {
                return new ResolvedSecret(ResolvedSecret::SOURCE_KEY, null, $keyId, sprintf('the Key module is not installed: install it, or clear the key on step 1 and enter the %s there', $label), $name);
            }
            $type = $this->keys->keyType($keyId);
            if ($type !== null && !in_array($type, self::SECRET_KEY_TYPES, true)) {
                return new ResolvedSecret(ResolvedSecret::SOURCE_KEY, null, $keyId, sprintf('the key "%s" is of the type "%s": choose a key of the type Authentication on step 1', $keyId, $type), $name);
            }
            $value = $this->keys->getKeyValue($keyId);
            if ($value === null || $value === '') {
                return new ResolvedSecret(ResolvedSecret::SOURCE_KEY, null, $keyId, sprintf('the key "%s" does not exist or is empty: fix it at Configuration > System > Keys', $keyId), $name);
            }

            return new ResolvedSecret(ResolvedSecret::SOURCE_KEY, $value, $keyId, null, $name);
        }
        $stored = $this->state->get(self::SECRETS[$name]['state']);
        if (is_string($stored) && $stored !== '') {
            return new ResolvedSecret(ResolvedSecret::SOURCE_STATE, $stored, null, null, $name);
        }

        return new ResolvedSecret(ResolvedSecret::SOURCE_NONE, null, null, null, $name);
    }

    /**
     * Whether settings.php provides the secret (the form then cannot change it).
     *
     * @param string|null $name
     *   See resolveSecret().
     */
    public function secretFromSettings(?string $name = null): bool
    {
        return $this->resolveSecret($name)->source === ResolvedSecret::SOURCE_SETTINGS;
    }

    /**
     * Stores a new secret in State (used when neither settings.php nor Key provide it).
     *
     * @param string $name
     *   ResolvedSecret::CLIENT_SECRET or ResolvedSecret::PRIVATE_KEY.
     */
    public function storeSecret(
        #[\SensitiveParameter]
        string $secret,
        string $name = ResolvedSecret::CLIENT_SECRET
    ): void {
        if (!isset(self::SECRETS[$name])) {
            throw new \InvalidArgumentException(sprintf('Unknown secret "%s".', $name));
        }
        $this->state->set(self::SECRETS[$name]['state'], $secret);
        $this->reset();
    }

    /**
     * The secret the configured credential type uses.
     */
    public function activeSecretName(): string
    {
        return $this->settings()->usesCertificate() ? ResolvedSecret::PRIVATE_KEY : ResolvedSecret::CLIENT_SECRET;
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
    public function missing(): array
    {
        $settings = $this->settings();
        // Which fields are required is the library's rule; whether each has
        // a value here is a Drupal fact (configuration, settings.php, Key, State).
        $present = [
            'tenant_id' => $settings->tenantId() !== '',
            'client_id' => $settings->clientId() !== '',
            'primary_domain' => $settings->primaryDomain() !== '',
            'client_secret' => $this->resolveSecret(ResolvedSecret::CLIENT_SECRET)->hasValue(),
            'client_certificate.certificate_pem' => $settings->certificatePem() !== '',
            'client_certificate.private_key_pem' => $this->resolveSecret(ResolvedSecret::PRIVATE_KEY)->hasValue(),
        ];
        $credential = $settings->usesCertificate() ? 'client_certificate' : 'client_secret';
        try {
            $required = $this->facts()->requiredFields($credential);
        } catch (EntraException $e) {
            // The library's unavailability is what callers report then
            // (environment(), probe()); nothing can be provisioned anyway.
            return [];
        }
        $missing = array_values(array_filter($required, static fn (string $field): bool => !($present[$field] ?? false)));
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
    public function facts(): LibraryFacts
    {
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
    public function decide(array $question): array
    {
        return $this->natives->decide($question, $this->libraryPath(), $this->headerPath(), $this->ffiMode());
    }

    /**
     * The library configuration JSON object (contains the secret: never log it).
     *
     * @param array<string, mixed> $mappingOverride
     *   Replaces the "mapping" object (used to validate a mapping before saving).
     *
     * @return array<string, mixed>
     */
    public function buildConfig(?array $mappingOverride = null): array
    {
        $config = $this->describeConfig($mappingOverride);
        if (isset($config['client_certificate'])) {
            $config['client_certificate']['private_key_pem'] = self::lineFeeds((string) $this->resolveSecret(ResolvedSecret::PRIVATE_KEY)->value());
        } else {
            $config['client_secret'] = (string) $this->resolveSecret(ResolvedSecret::CLIENT_SECRET)->value();
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
    public function describeConfig(?array $mappingOverride = null): array
    {
        $settings = $this->settings();
        $config = [
            'tenant_id' => $settings->tenantId(),
            'client_id' => $settings->clientId(),
        ];
        if ($settings->usesCertificate()) {
            $config['client_certificate'] = ['private_key_pem' => '[REDACTED]', 'certificate_pem' => self::lineFeeds($settings->certificatePem())];
        } else {
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
        if (array_key_exists('write_budget', $site) && ($site['write_budget'] === null || is_array($site['write_budget']))) {
            $config['write_budget'] = $site['write_budget'];
        }
        foreach (['timeout_ms', 'max_concurrency', 'max_retries'] as $key) {
            $value = $settings->optionalInt('advanced.' . $key);
            if ($value !== null) {
                $config[$key] = $value;
            }
        }
        $config['mapping'] = $mappingOverride ?? $settings->mapping();

        return $config;
    }

    /**
     * The native client of this request (created on first use).
     *
     * @param int|null $budgetMs
     *   The overall time budget of the calls made with it from now on (each
     *   caller passes its own: an admin's form, a queue item, a bulk chunk);
     *   null: the library's default.
     */
    public function client(?int $budgetMs = null): NativeClientInterface
    {
        if ($this->client === null) {
            $this->client = $this->natives->create($this->buildConfig(), $this->libraryPath(), $this->headerPath(), $this->ffiMode());
        }
        $this->client->setCallBudgetMs($budgetMs);

        return $this->client;
    }

    /**
     * Drops the client (after the configuration changed).
     */
    public function reset(): void
    {
        $this->client = null;
    }

    /**
     * Validates the configuration in the library (no network).
     *
     * @param array<string, mixed> $mappingOverride
     *
     * @throws \Drupal\entra_provisioning\Native\Exception\EntraException
     */
    public function validate(?array $mappingOverride = null): void
    {
        $this->natives->validate($this->buildConfig($mappingOverride), $this->libraryPath(), $this->headerPath(), $this->ffiMode());
    }

    /**
     * @return array<string, mixed>
     */
    public function environment(): array
    {
        return $this->natives->environment($this->libraryPath(), $this->headerPath());
    }

    /**
     * @return array{ok: bool, version: ?string, abi_version: ?int, expected_abi: int, mode: ?string, error: ?string}
     */
    public function probe(): array
    {
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
    public function mappableProperties(): array
    {
        return $this->natives->mappableProperties($this->libraryPath(), $this->headerPath(), $this->ffiMode());
    }

    /**
     * Replaces every occurrence of the current secrets in strings (defence in
     * depth before anything reaches a log, a message or a page): the client
     * secret and the certificate's private key, whichever credential type is
     * chosen. A PEM key is also scrubbed line by line (its base64 lines, also
     * JSON-escaped), so a key quoted with other line endings or inside JSON
     * is caught as well.
     *
     * @param mixed $value
     *
     * @return mixed
     */
    public function redact($value)
    {
        $needles = [];
        foreach (array_keys(self::SECRETS) as $name) {
            $secret = $this->resolveSecret($name)->value();
            if ($secret === null || strlen($secret) < 4) {
                continue;
            }
            $needles[] = $secret;
            if (trim($secret) !== $secret && strlen(trim($secret)) >= 4) {
                $needles[] = trim($secret);
            }
            if (str_contains($secret, '-----BEGIN')) {
                foreach (preg_split('/\R/', $secret) ?: [] as $line) {
                    $line = trim($line);
                    if (strlen($line) >= 16 && !str_starts_with($line, '-----')) {
                        $needles[] = $line;
                        $needles[] = str_replace('/', '\\/', $line);
                    }
                }
            }
        }
        if ($needles === []) {
            return $value;
        }
        // Longest first: a whole key is replaced before its lines.
        $needles = array_values(array_unique($needles));
        usort($needles, static fn (string $a, string $b): int => strlen($b) <=> strlen($a));

        return self::redactValue($value, $needles);
    }

    /**
     * @param mixed $value
     * @param list<string> $secrets
     *
     * @return mixed
     */
    private static function redactValue(
        $value,
        #[\SensitiveParameter]
        array $secrets
    ) {
        if (is_string($value)) {
            return str_replace($secrets, '[REDACTED]', $value);
        }
        if (is_array($value)) {
            foreach ($value as $key => $item) {
                $value[$key] = self::redactValue($item, $secrets);
            }
        }

        return $value;
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

    private function siteSetting(string $key): string
    {
        $site = $this->configSource->siteSettings();
        $value = $site[$key] ?? '';

        return is_string($value) ? trim($value) : '';
    }
}
