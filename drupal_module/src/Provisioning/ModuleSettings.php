<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * Typed read access to entra_provisioning.settings, with defaults.
 */
final class ModuleSettings
{
    public const CONFIG_NAME = 'entra_provisioning.settings';

    public const CLOUDS = ['global', 'usgov', 'usgov-dod', 'china'];

    public const UPN_SOURCES = ['name', 'mail'];

    /**
     * Default time (ms) spent after the response on the queued work of this request.
     */
    public const DEFAULT_POST_RESPONSE_BUDGET_MS = 3000;

    /**
     * @var array<string, mixed>
     */
    private array $data;

    /**
     * @param array<string, mixed> $data
     */
    public function __construct(array $data)
    {
        $this->data = $data;
    }

    /**
     * @return mixed
     */
    public function get(string $path, $default = null)
    {
        $value = $this->data;
        foreach (explode('.', $path) as $part) {
            if (!is_array($value) || !array_key_exists($part, $value)) {
                return $default;
            }
            $value = $value[$part];
        }

        return $value ?? $default;
    }

    public function string(string $path, string $default = ''): string
    {
        $value = $this->get($path, $default);

        return is_scalar($value) ? trim((string) $value) : $default;
    }

    public function bool(string $path, bool $default = false): bool
    {
        $value = $this->get($path, $default);

        return is_scalar($value) ? (bool) $value : $default;
    }

    public function int(string $path, int $default): int
    {
        $value = $this->get($path, $default);

        return is_numeric($value) ? (int) $value : $default;
    }

    public function tenantId(): string
    {
        return $this->string('connection.tenant_id');
    }

    public function clientId(): string
    {
        return $this->string('connection.client_id');
    }

    public function primaryDomain(): string
    {
        return $this->string('connection.primary_domain');
    }

    public function cloud(): string
    {
        return $this->string('connection.cloud', 'global') ?: 'global';
    }

    public function testUpn(): string
    {
        return $this->string('connection.test_upn');
    }

    public function secretKeyId(): string
    {
        return $this->string('connection.secret_key_id');
    }

    public function drupalToEntra(): bool
    {
        return $this->bool('direction.drupal_to_entra', true);
    }

    public function entraToDrupal(): bool
    {
        return $this->bool('direction.entra_to_drupal');
    }

    public function manualCreate(): bool
    {
        return $this->bool('provisioning.manual_create', true);
    }

    public function autoCreate(): bool
    {
        return $this->bool('provisioning.auto_create');
    }

    public function postResponseBudgetMs(): int
    {
        return max(0, $this->int('provisioning.post_response_budget_ms', self::DEFAULT_POST_RESPONSE_BUDGET_MS));
    }

    /**
     * Drupal field => Graph property, from the list stored in config.
     *
     * @return array<string, string>
     */
    public function mappedProperties(): array
    {
        $map = [];
        $list = $this->get('mapping.properties', []);
        if (!is_array($list)) {
            return [];
        }
        foreach ($list as $row) {
            if (is_array($row) && is_string($row['field'] ?? null) && is_string($row['property'] ?? null)
                && $row['field'] !== '' && $row['property'] !== '') {
                $map[$row['field']] = $row['property'];
            }
        }

        return $map;
    }

    /**
     * The "mapping" object of the library configuration.
     *
     * @return array<string, mixed>
     */
    public function mapping(): array
    {
        return [
            'upn_source' => $this->string('mapping.upn_source', 'name') ?: 'name',
            'display_name_field' => $this->string('mapping.display_name_field', 'name') ?: 'name',
            'force_change_password' => $this->bool('mapping.force_change_password', true),
            'properties' => $this->mappedProperties(),
        ];
    }

    /**
     * The Drupal fields the library needs in the user's "fields".
     *
     * @return list<string>
     */
    public function mappedFieldNames(): array
    {
        $fields = array_keys($this->mappedProperties());
        $display = $this->mapping()['display_name_field'];
        if (!in_array($display, ['name', 'mail'], true)) {
            $fields[] = $display;
        }

        return array_values(array_unique($fields));
    }

    /**
     * @return array<string, mixed>
     */
    public function toArray(): array
    {
        return $this->data;
    }
}
