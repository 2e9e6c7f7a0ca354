<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Support\Fake;

use Drupal\entra_provisioning\Provisioning\RoleFactsInterface;

/**
 * The roles of a test site: role id => [is_admin, restricted].
 */
final class FixedRoleFacts implements RoleFactsInterface {

  /**
   * @param array<string, array{is_admin: bool, restricted: bool}> $roles
   */
  public function __construct(
    public array $roles = [
      'authenticated' => ['is_admin' => FALSE, 'restricted' => FALSE],
      'anonymous' => ['is_admin' => FALSE, 'restricted' => FALSE],
      'editor' => ['is_admin' => FALSE, 'restricted' => FALSE],
      'reviewer' => ['is_admin' => FALSE, 'restricted' => FALSE],
      'staff' => ['is_admin' => FALSE, 'restricted' => FALSE],
      'webmaster' => ['is_admin' => FALSE, 'restricted' => TRUE],
      'administrator' => ['is_admin' => TRUE, 'restricted' => FALSE],
    ]
  ) {
  }

  public function facts(): array {
    return $this->roles;
  }

  public function labels(): array {
    $labels = [];
    foreach (array_keys($this->roles) as $id) {
      $labels[$id] = ucfirst($id);
    }

    return $labels;
  }

}
