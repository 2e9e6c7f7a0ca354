<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Drupal;

use Drupal\Core\State\StateInterface;
use Drupal\entra_provisioning\Provisioning\StateStoreInterface;

final class DrupalStateStore implements StateStoreInterface {

  /**
   * Every State key the module writes (removed on uninstall).
   */
  public const KEYS = [
    'entra_provisioning.client_secret',
    'entra_provisioning.private_key_pem',
    'entra_provisioning.last_test',
    'entra_provisioning.import.next_link',
    'entra_provisioning.import.delta_link',
    'entra_provisioning.import.last_run',
    'entra_provisioning.import.last_delta_sync',
    'entra_provisioning.import.groups_next_link',
    'entra_provisioning.import.groups_delta_link',
    'entra_provisioning.import.groups_ids',
    'entra_provisioning.queue_suspension',
  ];

  public function __construct(
    private StateInterface $state
  ) {
  }

  public function get(string $key, $default = NULL) {
    return $this->state->get($key, $default);
  }

  public function set(string $key, $value): void {
    $this->state->set($key, $value);
  }

  public function delete(string $key): void {
    $this->state->delete($key);
  }

}
