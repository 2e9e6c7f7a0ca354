<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Drupal;

use Drupal\Core\Entity\EntityTypeManagerInterface;
use Drupal\entra_provisioning\Provisioning\UserSourceInterface;
use Drupal\user\UserInterface;

/**
 * Loads user entities as the library's "Drupal user" array.
 */
final class DrupalUserSource implements UserSourceInterface
{
    private EntityTypeManagerInterface $entityTypeManager;

    public function __construct(EntityTypeManagerInterface $entityTypeManager)
    {
        $this->entityTypeManager = $entityTypeManager;
    }

    public function load(int $uid, array $fieldNames): ?array
    {
        $user = $this->entityTypeManager->getStorage('user')->load($uid);
        if (!$user instanceof UserInterface || $user->isAnonymous()) {
            return null;
        }

        return self::fromAccount($user, $fieldNames);
    }

    /**
     * An account object as the library's "Drupal user" array (also used by
     * the user_update hook on the account before and after the save).
     *
     * @param list<string> $fieldNames
     *
     * @return array<string, mixed>
     */
    public static function fromAccount(UserInterface $user, array $fieldNames): array
    {
        $fields = [];
        foreach ($fieldNames as $name) {
            if (!$user->hasField($name)) {
                continue;
            }
            $list = $user->get($name);
            if ($list->isEmpty()) {
                continue;
            }
            $property = $list->getFieldDefinition()->getFieldStorageDefinition()->getMainPropertyName();
            $values = $list->first()?->getValue() ?? [];
            $value = $property !== null ? ($values[$property] ?? null) : null;
            if (is_scalar($value)) {
                $fields[$name] = is_bool($value) ? (int) $value : $value;
            }
        }

        return [
            'uid' => (int) $user->id(),
            'name' => (string) $user->getAccountName(),
            'mail' => (string) $user->getEmail(),
            'status' => $user->isActive() ? 1 : 0,
            'roles' => array_values($user->getRoles()),
            'fields' => $fields,
        ];
    }

    public function activeUidsAfter(int $afterUid, int $limit): array
    {
        $ids = $this->entityTypeManager->getStorage('user')->getQuery()
            ->accessCheck(false)
            ->condition('status', 1)
            ->condition('uid', max(0, $afterUid), '>')
            ->sort('uid')
            ->range(0, max(1, $limit))
            ->execute();

        return array_values(array_map('intval', $ids));
    }

    public function countActive(): int
    {
        return (int) $this->entityTypeManager->getStorage('user')->getQuery()
            ->accessCheck(false)
            ->condition('status', 1)
            ->condition('uid', 0, '>')
            ->count()
            ->execute();
    }

    public function uidsByNames(array $names): array
    {
        $found = [];
        if ($names === []) {
            return $found;
        }
        $accounts = $this->entityTypeManager->getStorage('user')->loadByProperties(['name' => $names]);
        foreach ($accounts as $account) {
            if (!$account instanceof UserInterface || $account->isAnonymous()) {
                continue;
            }
            foreach ($names as $name) {
                if (mb_strtolower($name) === mb_strtolower((string) $account->getAccountName())) {
                    $found[$name] = (int) $account->id();
                }
            }
        }

        return $found;
    }
}
