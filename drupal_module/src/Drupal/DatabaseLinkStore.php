<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Drupal;

use Drupal\Core\Database\Connection;
use Drupal\entra_provisioning\Provisioning\LinkRecord;
use Drupal\entra_provisioning\Provisioning\LinkStoreInterface;

/**
 * The entra_provisioning_link table (see entra_provisioning_schema()).
 */
final class DatabaseLinkStore implements LinkStoreInterface
{
    public const TABLE = 'entra_provisioning_link';

    private Connection $database;

    public function __construct(Connection $database)
    {
        $this->database = $database;
    }

    public function load(int $uid): ?LinkRecord
    {
        $row = $this->database->select(self::TABLE, 'l')
            ->fields('l')
            ->condition('l.uid', $uid)
            ->execute()
            ->fetchAssoc();

        return is_array($row) ? LinkRecord::fromArray($row) : null;
    }

    public function loadByEntraId(string $entraId): ?LinkRecord
    {
        $row = $this->database->select(self::TABLE, 'l')
            ->fields('l')
            ->condition('l.entra_id', $entraId)
            ->range(0, 1)
            ->execute()
            ->fetchAssoc();

        return is_array($row) ? LinkRecord::fromArray($row) : null;
    }

    public function save(LinkRecord $record): void
    {
        $fields = $record->toArray();
        unset($fields['uid']);
        // Merge = insert or update on the primary key: linking is idempotent.
        $this->database->merge(self::TABLE)
            ->key('uid', $record->uid)
            ->fields($fields)
            ->execute();
    }

    public function delete(int $uid): void
    {
        $this->database->delete(self::TABLE)->condition('uid', $uid)->execute();
    }

    public function countByResult(): array
    {
        $query = $this->database->select(self::TABLE, 'l');
        $query->addField('l', 'last_result');
        $query->addExpression('COUNT(*)', 'n');
        $query->groupBy('l.last_result');
        $counts = ['ok' => 0, 'failed' => 0, 'pending' => 0];
        foreach ($query->execute()->fetchAllKeyed() as $result => $n) {
            if (isset($counts[$result])) {
                $counts[$result] = (int) $n;
            }
        }

        return $counts;
    }
}
