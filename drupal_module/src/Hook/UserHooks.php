<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Hook;

use Drupal\Core\Hook\Attribute\Hook;
use Drupal\entra_provisioning\Drupal\DrupalUserSource;
use Drupal\entra_provisioning\Drupal\PostResponseProcessor;
use Drupal\entra_provisioning\Provisioning\Lifecycle;
use Drupal\user\UserInterface;
use Psr\Log\LoggerInterface;

/**
 * User hooks: they only queue work (a user save never waits on Graph). The
 * decisions are Lifecycle's; this class only reads the Drupal objects.
 *
 * They run inside the user save (its transaction, its request): whatever goes
 * wrong here is logged and swallowed, so a save never fails because of Entra.
 */
final class UserHooks {

  public function __construct(
    private Lifecycle $lifecycle,
    private PostResponseProcessor $postResponse,
    private LoggerInterface $logger
  ) {
  }

  /**
   * Implements hook_user_insert().
   */
  #[Hook('user_insert')]
  public function userInsert(UserInterface $account): void {
    $this->guarded('insert', $account, function () use ($account): bool {
      return $this->lifecycle->onInsert((int) $account->id(), (string) $account->getAccountName(), array_values($account->getRoles()));
    });
  }

  /**
   * Implements hook_user_update().
   */
  #[Hook('user_update')]
  public function userUpdate(UserInterface $account): void {
    $this->guarded('update', $account, function () use ($account): bool {
      $fields = $this->lifecycle->mappedFieldNames();
      $original = self::original($account);
      $before = $original !== NULL ? DrupalUserSource::fromAccount($original, $fields) : NULL;
      $after = DrupalUserSource::fromAccount($account, $fields);

      return $this->lifecycle->onUpdate((int) $account->id(), (string) $account->getAccountName(), $before, $after);
    });
  }

  /**
   * Implements hook_user_cancel().
   *
   * @param array<string, mixed> $edit
   */
  #[Hook('user_cancel')]
  public function userCancel($edit, UserInterface $account, $method): void {
    $this->guarded('cancel', $account, function () use ($account, $method): bool {
      return $this->lifecycle->onCancel((int) $account->id(), (string) $account->getAccountName(), (string) $method);
    });
  }

  /**
   * Implements hook_user_delete().
   */
  #[Hook('user_delete')]
  public function userDelete(UserInterface $account): void {
    $this->guarded('delete', $account, function () use ($account): bool {
      return $this->lifecycle->onDelete((int) $account->id(), (string) $account->getAccountName());
    });
  }

  /**
   * Runs one hook body; asks for post-response processing when it queued
   * work. Never throws.
   *
   * @param callable(): bool $body
   */
  private function guarded(string $event, UserInterface $account, callable $body): void {
    try {
      if ($body()) {
        $this->postResponse->requestRun();
      }
    }
    catch (\Throwable $e) {
      // Lifecycle already logs its own failures; this catches what the
      // reading of the Drupal account may throw. The message of a
      // Drupal exception carries no secret of this module.
      $this->logger->error('The Entra ID @event hook failed for uid @uid: @error', [
        '@event' => $event,
        '@uid' => (string) $account->id(),
        '@error' => $e->getMessage(),
      ]);
    }
  }

  /**
   * The account as it was before this save: EntityInterface::getOriginal()
   * on Drupal 11.2+, the "original" property before (reading the property
   * on 11.2+ is deprecated, so the method is preferred when it exists).
   */
  private static function original(UserInterface $account): ?UserInterface {
    if (method_exists($account, 'getOriginal')) {
      $original = $account->getOriginal();
    }
    else {
      $original = $account->original ?? NULL;
    }

    return $original instanceof UserInterface ? $original : NULL;
  }

}
