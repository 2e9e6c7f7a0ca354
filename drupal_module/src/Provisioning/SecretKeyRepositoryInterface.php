<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * The optional Key module (keys referenced by id, resolved at runtime).
 */
interface SecretKeyRepositoryInterface {

  /**
   * Whether the Key module is installed.
   */
  public function isAvailable(): bool;

  /**
   * The value of the key, or null when the key does not exist.
   */
  public function getKeyValue(string $keyId): ?string;

  /**
   * The key's type plugin id (e.g. "authentication"), or null when the key
   * does not exist.
   */
  public function keyType(string $keyId): ?string;
}
