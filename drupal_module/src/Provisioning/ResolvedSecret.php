<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * A secret of the app's credential (the client secret, or the private key of
 * the certificate) and where it came from. Never printed: see __debugInfo().
 */
final class ResolvedSecret {

  /**
   * Which secret: also its key in $settings['entra_provisioning'] and the
   * suffix of its State key (entra_provisioning.<name>).
   */
  public const CLIENT_SECRET = 'client_secret';
  public const PRIVATE_KEY = 'private_key_pem';

  public const SOURCE_SETTINGS = 'settings';
  public const SOURCE_KEY = 'key';
  public const SOURCE_STATE = 'state';
  public const SOURCE_NONE = 'none';

  private ?string $value;

  public function __construct(
    public readonly string $source,
    #[\SensitiveParameter]
    ?string $value,
    public readonly ?string $keyId = NULL,
    /**
     * Why the chosen source yields no secret (e.g. Key module missing).
     */
    public readonly ?string $problem = NULL,
    /**
     * self::CLIENT_SECRET or self::PRIVATE_KEY.
     */
    public readonly string $name = self::CLIENT_SECRET
  ) {
    $this->value = $value === '' ? NULL : $value;
  }

  public function value(): ?string {
    return $this->value;
  }

  public function hasValue(): bool {
    return $this->value !== NULL;
  }

  /**
   * "client secret" or "private key", for messages.
   */
  public function label(): string {
    return $this->name === self::PRIVATE_KEY ? 'private key' : 'client secret';
  }

  /**
   * Where the secret comes from, for the overview and the status report.
   */
  public function describe(): string {
    switch ($this->source) {
      case self::SOURCE_SETTINGS:
        return sprintf("settings.php (\$settings['entra_provisioning']['%s'])", $this->name);

      case self::SOURCE_KEY:
        return sprintf('Key module, key "%s"', (string) $this->keyId);

      case self::SOURCE_STATE:
        return sprintf('State (entra_provisioning.%s), entered on step 1', $this->name);

      default:
        return 'not set';
    }
  }

  /**
   * @return array<string, mixed>
   */
  public function __debugInfo(): array {
    return ['name' => $this->name, 'source' => $this->source, 'keyId' => $this->keyId, 'problem' => $this->problem, 'value' => $this->value === NULL ? NULL : '[REDACTED]'];
  }

  /**
   * @return array<string, mixed>
   */
  public function __serialize(): array {
    throw new \LogicException('A resolved secret must not be serialized.');
  }

}
