<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Hook;

use Drupal\Core\Hook\Attribute\Hook;
use Drupal\Core\Routing\RouteMatchInterface;
use Drupal\Core\StringTranslation\StringTranslationTrait;
use Drupal\Core\Url;

/**
 * The module's help page (Help > Entra ID provisioning).
 *
 * Drupal 11.1+ calls help(); Drupal 10.3 - 11.0 call
 * entra_provisioning_help() in the .module file, which forwards here.
 */
final class HelpHooks {

  use StringTranslationTrait;

  /**
   * Implements hook_help().
   *
   * $route_name is nullable: the help block passes
   * RouteMatchInterface::getRouteName(), which may be NULL.
   */
  #[Hook('help')]
  public function help(?string $route_name, RouteMatchInterface $route_match): ?string {
    if ($route_name !== 'help.page.entra_provisioning') {
      return NULL;
    }
    $output = '<h2>' . $this->t('About') . '</h2>';
    $output .= '<p>' . $this->t('Entra ID provisioning keeps Drupal accounts in step with Microsoft Entra ID (formerly Azure AD) through Microsoft Graph: a new Drupal account becomes an Entra ID user, changes are sent to it, blocked or cancelled accounts are disabled or deleted there, and Entra ID users can be imported into Drupal. Everything starts from the <a href=":overview">Entra ID provisioning overview</a>.', [
      ':overview' => Url::fromRoute('entra_provisioning.overview')->toString(),
    ]) . '</p>';
    $output .= '<h2>' . $this->t('Uses') . '</h2>';
    $output .= '<dl>';
    $output .= '<dt>' . $this->t('Step 1: Connection') . '</dt>';
    $output .= '<dd>' . $this->t('The <a href=":url">connection</a> to the app registration in Entra ID: tenant, application (client) ID, client secret or certificate, primary domain. "Save and Test Configuration" signs in and reads a test user.', [
      ':url' => Url::fromRoute('entra_provisioning.connection')->toString(),
    ]) . '</dd>';
    $output .= '<dt>' . $this->t('Step 2: Direction') . '</dt>';
    $output .= '<dd>' . $this->t('<a href=":url">Which way</a> accounts go: Drupal to Entra ID, Entra ID to Drupal (the import, on cron or with drush entra:import), or both.', [
      ':url' => Url::fromRoute('entra_provisioning.direction')->toString(),
    ]) . '</dd>';
    $output .= '<dt>' . $this->t('Step 3: Provisioning') . '</dt>';
    $output .= '<dd>' . $this->t('<a href=":url">When and how</a> accounts are created, updated, disabled or deleted in Entra ID, the attribute mapping, and syncing one user or all of them (also drush entra:provision).', [
      ':url' => Url::fromRoute('entra_provisioning.provisioning')->toString(),
    ]) . '</dd>';
    $output .= '<dt>' . $this->t('Logs and status') . '</dt>';
    $output .= '<dd>' . $this->t('Every outcome is logged under Reports > Recent log messages, type user_provisioning. Reports > Status report shows the connection, the queue and the last import.') . '</dd>';
    $output .= '</dl>';

    return $output;
  }

}
