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
}
