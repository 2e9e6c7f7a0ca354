<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Drupal;

use Drupal\Core\Queue\DelayableQueueInterface;
use Drupal\Core\Queue\QueueFactory;
use Drupal\Core\Queue\QueueInterface;
use Drupal\entra_provisioning\Provisioning\ClaimedItem;
use Drupal\entra_provisioning\Provisioning\ProvisioningQueueInterface;
use Drupal\entra_provisioning\Provisioning\QueueItem;

/**
 * The reliable queue "entra_provisioning_user" from Drupal's queue factory.
 *
 * Taken as a reliable queue by name, so settings.php can move it to another
 * backend: $settings['queue_reliable_service_entra_provisioning_user'] (or
 * queue_service_..., queue_default).
 */
final class DrupalQueue implements ProvisioningQueueInterface {

  public function __construct(
    private QueueFactory $queueFactory
  ) {
  }

  private function queue(): QueueInterface {
    return $this->queueFactory->get(self::NAME, TRUE);
  }

  public function enqueue(QueueItem $item): void {
    if ($this->queue()->createItem($item->toArray()) === FALSE) {
      throw new \RuntimeException(sprintf('The %s queue refused the item.', self::NAME));
    }
  }

  public function claim(int $leaseSeconds): ?ClaimedItem {
    $item = $this->queue()->claimItem($leaseSeconds);

    return is_object($item) ? new ClaimedItem($item, $item->data ?? NULL) : NULL;
  }

  public function complete(ClaimedItem $item): void {
    $this->queue()->deleteItem($item->handle);
  }

  public function release(ClaimedItem $item): void {
    $this->queue()->releaseItem($item->handle);
  }

  public function delay(ClaimedItem $item, int $seconds): void {
    $queue = $this->queue();
    if ($seconds <= 0) {
      $queue->releaseItem($item->handle);
    }
    elseif ($queue instanceof DelayableQueueInterface) {
      $queue->delayItem($item->handle, $seconds);
    }
    // Otherwise the item becomes available again when its lease expires,
    // as core does for DelayedRequeueException on such queues.
  }

  public function count(): int {
    return (int) $this->queue()->numberOfItems();
  }

}
