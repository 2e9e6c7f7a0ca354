<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Support\Fake;

use Drupal\entra_provisioning\Provisioning\SecretKeyRepositoryInterface;

final class FakeKeyRepository implements SecretKeyRepositoryInterface {

  public bool $available;

  /**
   * @var array<string, string>
   */
  public array $keys;

  /**
   * @param array<string, string> $keys
   */
  /**
   * Key id => type (default "authentication").
   *
   * @var array<string, string>
   */
  public array $types = [];

  public function __construct(bool $available = FALSE, array $keys = []) {
    $this->available = $available;
    $this->keys = $keys;
  }

  public function keyType(string $keyId): ?string {
    return isset($this->keys[$keyId]) ? ($this->types[$keyId] ?? 'authentication') : NULL;
  }

  public function isAvailable(): bool {
    return $this->available;
  }

  public function getKeyValue(string $keyId): ?string {
    return $this->keys[$keyId] ?? NULL;
  }

}
