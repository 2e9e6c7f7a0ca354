<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * The reliable queue "entra_provisioning_user", as the services need it.
 *
 * The Drupal adapter takes it from the queue factory as a reliable queue, so
 * $settings['queue_reliable_service_entra_provisioning_user'] can move it to
 * another backend.
 */
interface ProvisioningQueueInterface {

  public const NAME = 'entra_provisioning_user';

  /**
   * @throws \RuntimeException
   *   When the backend could not store the item.
   */
  public function enqueue(QueueItem $item): void;

  /**
   * Claims the next item for $leaseSeconds, or returns null when none is available.
   */
  public function claim(int $leaseSeconds): ?ClaimedItem;

  /**
   * Removes a processed item.
   */
  public function complete(ClaimedItem $item): void;

  /**
   * Makes the item available again now.
   */
  public function release(ClaimedItem $item): void;

  /**
   * Makes the item available again after $seconds (when the backend cannot
   * delay, the item becomes available when its lease expires).
   */
  public function delay(ClaimedItem $item, int $seconds): void;

  /**
   * The number of items in the queue (claimed or not).
   */
  public function count(): int;
}
