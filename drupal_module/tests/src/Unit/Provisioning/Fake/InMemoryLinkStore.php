<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Provisioning\Fake;

use Drupal\entra_provisioning\Provisioning\LinkRecord;
use Drupal\entra_provisioning\Provisioning\LinkStoreInterface;

final class InMemoryLinkStore implements LinkStoreInterface
{
    /**
     * @var array<int, LinkRecord>
     */
    public array $records = [];

    public function load(int $uid): ?LinkRecord
    {
        return $this->records[$uid] ?? null;
    }

    public function loadByEntraId(string $entraId): ?LinkRecord
    {
        foreach ($this->records as $record) {
            if ($record->entraId === $entraId) {
                return $record;
            }
        }

        return null;
    }

    public function save(LinkRecord $record): void
    {
        $this->records[$record->uid] = $record;
    }

    public function delete(int $uid): void
    {
        unset($this->records[$uid]);
    }

    public function countByResult(): array
    {
        $counts = ['ok' => 0, 'failed' => 0, 'pending' => 0];
        foreach ($this->records as $record) {
            $counts[$record->lastResult]++;
        }

        return $counts;
    }
}
