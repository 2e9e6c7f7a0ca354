<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * A queue item claimed from a ProvisioningQueueInterface.
 *
 * The handle is the backend's own item object (opaque here); the data is
 * what was enqueued, not yet validated.
 */
final class ClaimedItem {

  public function __construct(
    /**
     * @var mixed
     */
    public readonly mixed $handle,
    /**
     * @var mixed
     */
    public readonly mixed $data
  ) {
  }

}
