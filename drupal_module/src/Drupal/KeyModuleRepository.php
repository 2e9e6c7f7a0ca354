<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Drupal;

use Drupal\entra_provisioning\Provisioning\SecretKeyRepositoryInterface;

/**
 * The Key module's key.repository service, when the module is installed.
 *
 * The service is injected as an optional argument ('@?key.repository'), so it
 * is typed as a plain object: the Key module's classes may not exist.
 */
final class KeyModuleRepository implements SecretKeyRepositoryInterface {

  public function __construct(
    private ?object $repository = NULL
  ) {
  }

  public function isAvailable(): bool {
    return $this->repository !== NULL && method_exists($this->repository, 'getKey');
  }

  public function getKeyValue(string $keyId): ?string {
    if (!$this->isAvailable() || $keyId === '') {
      return NULL;
    }
    $key = $this->repository->getKey($keyId);
    if (!is_object($key) || !method_exists($key, 'getKeyValue')) {
      return NULL;
    }
    $value = $key->getKeyValue();

    return is_string($value) && $value !== '' ? $value : NULL;
  }

  /**
   * The Key module's KeyInterface::getKeyType() returns the key type
   * plugin (its id in releases before 1.0): both are read.
   */
  public function keyType(string $keyId): ?string {
    if (!$this->isAvailable() || $keyId === '') {
      return NULL;
    }
    $key = $this->repository->getKey($keyId);
    if (!is_object($key) || !method_exists($key, 'getKeyType')) {
      return NULL;
    }
    $type = $key->getKeyType();
    if (is_object($type) && method_exists($type, 'getPluginId')) {
      $type = $type->getPluginId();
    }

    return is_string($type) && $type !== '' ? $type : NULL;
  }

}
