<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * Where the credential's secrets come from, and scrubbing them from text.
 *
 * Precedence, for the client secret and the private key alike:
 * $settings['entra_provisioning'][<name>] in settings.php, then the Key
 * module key chosen on step 1, then State.
 */
final class SecretResolver {

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

  public function __construct(
    private ConfigSourceInterface $configSource,
    private StateStoreInterface $state,
    private SecretKeyRepositoryInterface $keys
  ) {
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
  public function resolveSecret(?string $name = NULL): ResolvedSecret {
    $name = $name ?? $this->activeSecretName();
    if (!isset(self::SECRETS[$name])) {
      throw new \InvalidArgumentException(sprintf('Unknown secret "%s".', $name));
    }
    $label = $name === ResolvedSecret::PRIVATE_KEY ? 'private key' : 'secret';
    $site = $this->configSource->siteSettings();
    if (isset($site[$name]) && is_string($site[$name]) && $site[$name] !== '') {
      return new ResolvedSecret(ResolvedSecret::SOURCE_SETTINGS, $site[$name], NULL, NULL, $name);
    }
    $keyId = $this->settings()->string(self::SECRETS[$name]['key_id']);
    if ($keyId !== '') {
      if (!$this->keys->isAvailable()) {
        return new ResolvedSecret(ResolvedSecret::SOURCE_KEY, NULL, $keyId, sprintf('the Key module is not installed: install it, or clear the key on step 1 and enter the %s there', $label), $name);
      }
      $type = $this->keys->keyType($keyId);
      if ($type !== NULL && !in_array($type, self::SECRET_KEY_TYPES, TRUE)) {
        return new ResolvedSecret(ResolvedSecret::SOURCE_KEY, NULL, $keyId, sprintf('the key "%s" is of the type "%s": choose a key of the type Authentication on step 1', $keyId, $type), $name);
      }
      $value = $this->keys->getKeyValue($keyId);
      if ($value === NULL || $value === '') {
        return new ResolvedSecret(ResolvedSecret::SOURCE_KEY, NULL, $keyId, sprintf('the key "%s" does not exist or is empty: fix it at Configuration > System > Keys', $keyId), $name);
      }

      return new ResolvedSecret(ResolvedSecret::SOURCE_KEY, $value, $keyId, NULL, $name);
    }
    $stored = $this->state->get(self::SECRETS[$name]['state']);
    if (is_string($stored) && $stored !== '') {
      return new ResolvedSecret(ResolvedSecret::SOURCE_STATE, $stored, NULL, NULL, $name);
    }

    return new ResolvedSecret(ResolvedSecret::SOURCE_NONE, NULL, NULL, NULL, $name);
  }

  /**
   * Whether settings.php provides the secret (the form then cannot change it).
   *
   * @param string|null $name
   *   See resolveSecret().
   */
  public function secretFromSettings(?string $name = NULL): bool {
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
  }

  /**
   * The secret the configured credential type uses.
   */
  public function activeSecretName(): string {
    return $this->settings()->usesCertificate() ? ResolvedSecret::PRIVATE_KEY : ResolvedSecret::CLIENT_SECRET;
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
  public function redact($value) {
    $needles = [];
    foreach (array_keys(self::SECRETS) as $name) {
      $secret = $this->resolveSecret($name)->value();
      if ($secret === NULL || strlen($secret) < 4) {
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

  private function settings(): ModuleSettings {
    return new ModuleSettings($this->configSource->moduleConfig());
  }

}
