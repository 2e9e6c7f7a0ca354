<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Support\Fake;

use Drupal\entra_provisioning\Provisioning\MatchStoreInterface;
use Drupal\entra_provisioning\Provisioning\ModuleSettings;
use Drupal\entra_provisioning\Provisioning\PendingMatch;

/**
 * The match table in memory, with DatabaseMatchStore's rules (one row per
 * pair; a rejected pair stays rejected).
 */
final class InMemoryMatchStore implements MatchStoreInterface {

  /**
   * @var array<int, PendingMatch>
   */
  public array $matches = [];

  private int $nextId = 1;

  public function propose(PendingMatch $match): array {
    $stored = $this->find($match->direction, $match->uid, $match->entraId);
    if ($stored === NULL) {
      $id = $this->nextId++;
      $this->matches[$id] = PendingMatch::fromRow(['id' => $id] + $match->toRow());

      return [$this->matches[$id], TRUE];
    }
    $row = ['id' => $stored->id, 'created' => $stored->created] + $match->toRow();
    if ($stored->status === PendingMatch::STATUS_REJECTED) {
      $row['status'] = PendingMatch::STATUS_REJECTED;
    }
    $this->matches[$stored->id] = PendingMatch::fromRow($row);

    return [$this->matches[$stored->id], FALSE];
  }

  public function load(int $id): ?PendingMatch {
    return $this->matches[$id] ?? NULL;
  }

  public function find(string $direction, int $uid, string $entraId): ?PendingMatch {
    foreach ($this->matches as $match) {
      if ($match->direction === $direction && $match->uid === $uid && $match->entraId === $entraId) {
        return $match;
      }
    }

    return NULL;
  }

  public function byStatus(string $status, int $limit = 200): array {
    $found = array_values(array_filter($this->matches, static fn (PendingMatch $m): bool => $m->status === $status));

    return array_slice($found, 0, $limit);
  }

  public function countPending(): array {
    $counts = [ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA => 0, ModuleSettings::DIRECTION_ENTRA_TO_DRUPAL => 0];
    foreach ($this->byStatus(PendingMatch::STATUS_PENDING, PHP_INT_MAX) as $match) {
      $counts[$match->direction]++;
    }

    return $counts;
  }

  public function setStatus(int $id, string $status, int $now): void {
    $m = $this->matches[$id] ?? NULL;
    if ($m !== NULL) {
      $this->matches[$id] = PendingMatch::fromRow(['id' => $id, 'status' => $status, 'changed' => $now] + $m->toRow());
    }
  }

  public function delete(int $id): void {
    unset($this->matches[$id]);
  }

  public function deleteForLink(int $uid, string $entraId): void {
    foreach ($this->matches as $id => $match) {
      if ($match->uid === $uid || $match->entraId === $entraId) {
        unset($this->matches[$id]);
      }
    }
  }

}
