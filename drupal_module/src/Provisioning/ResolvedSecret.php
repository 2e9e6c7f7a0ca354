<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * The client secret and where it came from. Never printed: see __debugInfo().
 */
final class ResolvedSecret
{
    public const SOURCE_SETTINGS = 'settings';
    public const SOURCE_KEY = 'key';
    public const SOURCE_STATE = 'state';
    public const SOURCE_NONE = 'none';

    public readonly string $source;

    public readonly ?string $keyId;

    /**
     * Why the chosen source yields no secret (e.g. Key module missing).
     */
    public readonly ?string $problem;

    private ?string $value;

    public function __construct(
        string $source,
        #[\SensitiveParameter]
        ?string $value,
        ?string $keyId = null,
        ?string $problem = null
    ) {
        $this->source = $source;
        $this->value = $value === '' ? null : $value;
        $this->keyId = $keyId;
        $this->problem = $problem;
    }

    public function value(): ?string
    {
        return $this->value;
    }

    public function hasValue(): bool
    {
        return $this->value !== null;
    }

    /**
     * Where the secret comes from, for the overview and the status report.
     */
    public function describe(): string
    {
        switch ($this->source) {
            case self::SOURCE_SETTINGS:
                return "settings.php (\$settings['entra_provisioning']['client_secret'])";

            case self::SOURCE_KEY:
                return sprintf('Key module, key "%s"', (string) $this->keyId);

            case self::SOURCE_STATE:
                return 'State (entra_provisioning.client_secret), entered on step 1';

            default:
                return 'not set';
        }
    }

    /**
     * @return array<string, mixed>
     */
    public function __debugInfo(): array
    {
        return ['source' => $this->source, 'keyId' => $this->keyId, 'problem' => $this->problem, 'value' => $this->value === null ? null : '[REDACTED]'];
    }

    /**
     * @return array<string, mixed>
     */
    public function __serialize(): array
    {
        throw new \LogicException('A resolved secret must not be serialized.');
    }
}
