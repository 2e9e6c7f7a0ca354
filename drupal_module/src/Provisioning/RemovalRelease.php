<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * An admin releases every removal the accidental-deletion threshold holds:
 * the import applies its removal policy now, and the Entra ID disables and
 * deletes are queued again. Shared by the Pending matches page and
 * "drush entra:release-removals".
 */
final class RemovalRelease {

  public function __construct(private Importer $importer, private Provisioner $provisioner) {
  }

  /**
   * @return array{imported: array<string, int>, queued: int}
   *   The import's results per kind, and how many Entra ID removals were
   *   queued again.
   */
  public function releaseAll(): array {
    return [
      'imported' => $this->importer->releaseHeldRemovals(),
      'queued' => $this->provisioner->releaseHeldRemovals(),
    ];
  }

}
