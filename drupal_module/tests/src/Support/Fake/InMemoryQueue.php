<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Support\Fake;

use Drupal\Component\Datetime\TimeInterface;
use Drupal\entra_provisioning\Provisioning\ClaimedItem;
use Drupal\entra_provisioning\Provisioning\ProvisioningQueueInterface;
use Drupal\entra_provisioning\Provisioning\QueueItem;

/**
 * A FIFO queue with leases and delays on a fake clock.
 */
final class InMemoryQueue implements ProvisioningQueueInterface {

  /**
   * id => ['data' => mixed, 'available_at' => int].
   *
   * @var array<int, array{data: mixed, available_at: int}>
   */
  public array $items = [];

  /**
   * Delays requested, in order: [id, seconds].
   *
   * @var list<array{0: int, 1: int}>
   */
  public array $delays = [];

  /**
   * Claim the newest available item first (a backend without FIFO order).
   */
  public bool $lifo = FALSE;

  /**
   * Make the next enqueue() fail (a backend outage).
   */
  public bool $failEnqueue = FALSE;

  private int $nextId = 1;

  private TimeInterface $clock;

  public function __construct(TimeInterface $clock) {
    $this->clock = $clock;
  }

  public function enqueue(QueueItem $item): void {
    if ($this->failEnqueue) {
      $this->failEnqueue = FALSE;
      throw new \RuntimeException('The queue backend is unavailable.');
    }
    $this->push($item->toArray());
  }

  /**
   * @param mixed $data
   */
  public function push($data): int {
    $id = $this->nextId++;
    $this->items[$id] = ['data' => $data, 'available_at' => 0];

    return $id;
  }

  public function claim(int $leaseSeconds): ?ClaimedItem {
    $items = $this->lifo ? array_reverse($this->items, TRUE) : $this->items;
    foreach ($items as $id => $item) {
      if ($item['available_at'] <= $this->clock->getCurrentTime()) {
        $this->items[$id]['available_at'] = $this->clock->getCurrentTime() + $leaseSeconds;

        return new ClaimedItem($id, $item['data']);
      }
    }

    return NULL;
  }

  public function complete(ClaimedItem $item): void {
    unset($this->items[$item->handle]);
  }

  public function release(ClaimedItem $item): void {
    if (isset($this->items[$item->handle])) {
      $this->items[$item->handle]['available_at'] = 0;
    }
  }

  public function delay(ClaimedItem $item, int $seconds): void {
    $this->delays[] = [(int) $item->handle, $seconds];
    if (isset($this->items[$item->handle])) {
      $this->items[$item->handle]['available_at'] = $this->clock->getCurrentTime() + $seconds;
    }
  }

  public function count(): int {
    return count($this->items);
  }

  /**
   * The data of the items still queued, in queue order.
   *
   * @return list<mixed>
   */
  public function data(): array {
    return array_values(array_map(static fn (array $item) => $item['data'], $this->items));
  }

}
