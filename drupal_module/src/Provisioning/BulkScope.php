<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * Which Drupal accounts "Sync all users" and "drush entra:provision --all"
 * go through. By default neither uid 1 (the site's first administrator,
 * whose sign-in stays Drupal's) nor blocked accounts.
 */
final class BulkScope {

  public function __construct(public readonly bool $includeSuperuser = FALSE, public readonly bool $includeBlocked = FALSE) {
  }

  /**
   * The smallest uid in scope.
   */
  public function minUid(): int {
    return $this->includeSuperuser ? 1 : 2;
  }

  /**
   * @return array{include_superuser: bool, include_blocked: bool}
   */
  public function toArray(): array {
    return ['include_superuser' => $this->includeSuperuser, 'include_blocked' => $this->includeBlocked];
  }

  /**
   * @param mixed $data
   */
  public static function fromArray($data): self {
    return new self(!empty($data['include_superuser']), !empty($data['include_blocked']));
  }

}
