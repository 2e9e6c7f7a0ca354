<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Support\Fake;

use Drupal\entra_provisioning\Provisioning\StateStoreInterface;

final class InMemoryState implements StateStoreInterface {

  /**
   * @var array<string, mixed>
   */
  public array $values = [];

  public function get(string $key, $default = NULL) {
    return array_key_exists($key, $this->values) ? $this->values[$key] : $default;
  }

  public function set(string $key, $value): void {
    $this->values[$key] = $value;
  }

  public function delete(string $key): void {
    unset($this->values[$key]);
  }

}
