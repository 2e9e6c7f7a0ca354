<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * Small key/value storage local to the site (Drupal State).
 */
interface StateStoreInterface {

  /**
   * @param mixed $default
   *
   * @return mixed
   */
  public function get(string $key, $default = NULL);

  /**
   * @param mixed $value
   */
  public function set(string $key, $value): void;

  public function delete(string $key): void;
}
