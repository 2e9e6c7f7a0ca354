<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Support\Fake;

use Drupal\entra_provisioning\Provisioning\HeldRemoval;
use Drupal\entra_provisioning\Provisioning\RemovalStoreInterface;

/**
 * The removal table in memory, with DatabaseRemovalStore's rules.
 */
final class InMemoryRemovalStore implements RemovalStoreInterface {

  /**
   * @var array<int, HeldRemoval>
   */
  public array $rows = [];

  private int $nextId = 1;

  public function add(string $direction, int $uid, ?string $entraId, string $action, string $status, int $now): void {
    if ($status !== HeldRemoval::DONE) {
      foreach ($this->rows as $id => $row) {
        if ($row->direction === $direction && $row->uid === $uid && $row->status !== HeldRemoval::DONE) {
          unset($this->rows[$id]);
        }
      }
    }
    $id = $this->nextId++;
    $this->rows[$id] = new HeldRemoval($id, $direction, $uid, $entraId, $action, $status, $now, $now);
  }

  public function byStatus(string $direction, string $status, int $limit = 1000): array {
    $found = array_values(array_filter($this->rows, static fn (HeldRemoval $r): bool => $r->direction === $direction && $r->status === $status));

    return array_slice($found, 0, $limit);
  }

  public function count(string $direction, string $status, ?int $since = NULL): int {
    return count(array_filter($this->byStatus($direction, $status, PHP_INT_MAX), static fn (HeldRemoval $r): bool => $since === NULL || $r->changed >= $since));
  }

  public function moveAll(string $direction, string $from, string $to, int $now): int {
    $moved = 0;
    foreach ($this->rows as $id => $r) {
      if ($r->direction === $direction && $r->status === $from) {
        $this->rows[$id] = new HeldRemoval($id, $r->direction, $r->uid, $r->entraId, $r->action, $to, $r->created, $now);
        $moved++;
      }
    }

    return $moved;
  }

  public function delete(int $id): void {
    unset($this->rows[$id]);
  }

  public function forgetEntraId(string $direction, string $entraId): void {
    foreach ($this->rows as $id => $r) {
      if ($r->direction === $direction && $r->entraId === $entraId && $r->status !== HeldRemoval::DONE) {
        unset($this->rows[$id]);
      }
    }
  }

  public function pruneDone(int $before): void {
    foreach ($this->rows as $id => $r) {
      if ($r->status === HeldRemoval::DONE && $r->changed < $before) {
        unset($this->rows[$id]);
      }
    }
  }

}
