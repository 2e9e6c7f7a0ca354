<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Drupal;

use Drupal\Core\Entity\EntityTypeManagerInterface;
use Drupal\entra_provisioning\Provisioning\RoleFactsInterface;
use Drupal\user\PermissionHandlerInterface;

/**
 * Role facts from the user_role entities and the permission definitions.
 */
final class DrupalRoleFacts implements RoleFactsInterface {

  /**
   * The facts, read once per request: the import asks for them per user, and
   * reading every permission definition is not cheap.
   *
   * @var array<string, array{is_admin: bool, restricted: bool}>|null
   */
  private ?array $facts = NULL;

  public function __construct(
    private EntityTypeManagerInterface $entityTypeManager,
    private PermissionHandlerInterface $permissions
  ) {
  }

  public function facts(): array {
    if ($this->facts !== NULL) {
      return $this->facts;
    }
    $restricted = [];
    foreach ($this->permissions->getPermissions() as $name => $definition) {
      if (!empty($definition['restrict access'])) {
        $restricted[$name] = TRUE;
      }
    }
    $facts = [];
    /** @var \Drupal\user\RoleInterface $role */
    foreach ($this->entityTypeManager->getStorage('user_role')->loadMultiple() as $id => $role) {
      $holdsRestricted = FALSE;
      foreach ($role->getPermissions() as $permission) {
        if (isset($restricted[$permission])) {
          $holdsRestricted = TRUE;
          break;
        }
      }
      $facts[(string) $id] = ['is_admin' => $role->isAdmin(), 'restricted' => $holdsRestricted];
    }

    return $this->facts = $facts;
  }

  public function labels(): array {
    $labels = [];
    foreach ($this->entityTypeManager->getStorage('user_role')->loadMultiple() as $id => $role) {
      $labels[(string) $id] = (string) $role->label();
    }

    return $labels;
  }

}
