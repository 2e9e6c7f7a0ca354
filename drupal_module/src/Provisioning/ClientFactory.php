<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

use Drupal\entra_provisioning\Native\NativeClientInterface;

/**
 * Builds the library configuration from the module settings and creates the
 * native client, once per request.
 *
 * Secret precedence: $settings['entra_provisioning']['client_secret'] in
 * settings.php, then the Key module key chosen on step 1, then State.
 */
final class ClientFactory
{
    public const STATE_SECRET = 'entra_provisioning.client_secret';

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
     * Forced FFI mode ("preload" or "cdef") from settings.php, or null (automatic).
     */
    public function ffiMode(): ?string
    {
        $mode = $this->siteSetting('ffi_mode');

        return in_array($mode, ['preload', 'cdef'], true) ? $mode : null;
    }

    /**
     * Where the client secret comes from, and the secret itself.
     */
    public function resolveSecret(): ResolvedSecret
    {
        $site = $this->configSource->siteSettings();
        if (isset($site['client_secret']) && is_string($site['client_secret']) && $site['client_secret'] !== '') {
            return new ResolvedSecret(ResolvedSecret::SOURCE_SETTINGS, $site['client_secret']);
        }
        $keyId = $this->settings()->secretKeyId();
        if ($keyId !== '') {
            if (!$this->keys->isAvailable()) {
                return new ResolvedSecret(ResolvedSecret::SOURCE_KEY, null, $keyId, 'the Key module is not installed: install it, or clear the key on step 1 and enter the secret there');
            }
            $value = $this->keys->getKeyValue($keyId);
            if ($value === null || $value === '') {
                return new ResolvedSecret(ResolvedSecret::SOURCE_KEY, null, $keyId, sprintf('the key "%s" does not exist or is empty: fix it at Configuration > System > Keys', $keyId));
            }

            return new ResolvedSecret(ResolvedSecret::SOURCE_KEY, $value, $keyId);
        }
        $stored = $this->state->get(self::STATE_SECRET);
        if (is_string($stored) && $stored !== '') {
            return new ResolvedSecret(ResolvedSecret::SOURCE_STATE, $stored);
        }

        return new ResolvedSecret(ResolvedSecret::SOURCE_NONE, null);
    }

    /**
     * Whether settings.php provides the secret (the form then cannot change it).
     */
    public function secretFromSettings(): bool
    {
        return $this->resolveSecret()->source === ResolvedSecret::SOURCE_SETTINGS;
    }

    /**
     * Stores a new secret in State (used when neither settings.php nor Key provide it).
     */
    public function storeSecret(
        #[\SensitiveParameter]
        string $secret
    ): void {
        $this->state->set(self::STATE_SECRET, $secret);
        $this->reset();
    }

    /**
     * The connection values that are still empty (configuration incomplete).
     *
     * @return list<string>
     *   Keys of the library configuration: tenant_id, client_id,
     *   client_secret, primary_domain.
     */
    public function missing(): array
    {
        $settings = $this->settings();
        $missing = [];
        if ($settings->tenantId() === '') {
            $missing[] = 'tenant_id';
        }
        if ($settings->clientId() === '') {
            $missing[] = 'client_id';
        }
        if (!$this->resolveSecret()->hasValue()) {
            $missing[] = 'client_secret';
        }
        if ($settings->primaryDomain() === '') {
            $missing[] = 'primary_domain';
        }

        return $missing;
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
        $config['client_secret'] = (string) $this->resolveSecret()->value();

        return $config;
    }

    /**
     * The library configuration without the secret (safe to show or log).
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
            'client_secret' => '[REDACTED]',
            'primary_domain' => $settings->primaryDomain(),
            'cloud' => $settings->cloud(),
        ];
        foreach (self::ENDPOINT_KEYS as $key) {
            $value = $this->siteSetting($key);
            if ($value === '') {
                $value = $settings->string('connection.' . $key);
            }
            if ($value !== '') {
                $config[$key] = $value;
            }
        }
        $config['timeout_ms'] = $settings->int('advanced.timeout_ms', 15000);
        $config['max_concurrency'] = $settings->int('advanced.max_concurrency', 4);
        $config['max_retries'] = $settings->int('advanced.max_retries', 3);
        $config['mapping'] = $mappingOverride ?? $settings->mapping();

        return $config;
    }

    /**
     * The native client of this request (created on first use).
     */
    public function client(): NativeClientInterface
    {
        if ($this->client === null) {
            $this->client = $this->natives->create($this->buildConfig(), $this->libraryPath(), $this->headerPath(), $this->ffiMode());
        }

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
     * Replaces every occurrence of the current secret in strings (defence in
     * depth before anything reaches a log, a message or a page).
     *
     * @param mixed $value
     *
     * @return mixed
     */
    public function redact($value)
    {
        $secret = $this->resolveSecret()->value();
        if ($secret === null || strlen($secret) < 4) {
            return $value;
        }

        return self::redactValue($value, $secret);
    }

    /**
     * @param mixed $value
     *
     * @return mixed
     */
    private static function redactValue(
        $value,
        #[\SensitiveParameter]
        string $secret
    ) {
        if (is_string($value)) {
            return str_replace($secret, '[REDACTED]', $value);
        }
        if (is_array($value)) {
            foreach ($value as $key => $item) {
                $value[$key] = self::redactValue($item, $secret);
            }
        }

        return $value;
    }

    private function siteSetting(string $key): string
    {
        $site = $this->configSource->siteSettings();
        $value = $site[$key] ?? '';

        return is_string($value) ? trim($value) : '';
    }
}
